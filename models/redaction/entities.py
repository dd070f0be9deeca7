"""Entity types the engine detects, which flag selects each, and the token each becomes.

`redact_pci` and `redact_pii` select disjoint detector sets (spec §8.1). Two detector types
render as another token: a card's expiry date becomes `[TIME_n]` as Pulse prints it (§8.1 lists
TIME for expiry), and Indian national IDs (Aadhaar, PAN) become `[SSN_n]`.
"""

from __future__ import annotations

PCI_ENTITIES: frozenset[str] = frozenset({"ACCOUNTNUMBER", "CREDITCARDCVV", "ZIPCODE", "CARDEXPIRY"})
PII_ENTITIES: frozenset[str] = frozenset({
    "FIRSTNAME", "LASTNAME", "PHONENUMBER", "ADDRESS", "BUILDINGNUMBER", "EMAIL", "SSN", "DATE", "TIME",
    "NATIONALID",
})
ALL_ENTITIES: frozenset[str] = PCI_ENTITIES | PII_ENTITIES
assert not PCI_ENTITIES & PII_ENTITIES

_TOKEN_TYPE = {"CARDEXPIRY": "TIME", "NATIONALID": "SSN"}

# Token types whose values compare as digits only ("4111 1111…" == "four one one one…").
NUMERIC_TYPES = frozenset({
    "ACCOUNTNUMBER", "CREDITCARDCVV", "ZIPCODE", "PHONENUMBER", "BUILDINGNUMBER", "SSN", "NATIONALID",
})

# When spans of two types overlap, the higher priority keeps the text (payment data first: a
# leaked card digit is the costliest mistake).
PRIORITY = {
    "ACCOUNTNUMBER": 100, "CREDITCARDCVV": 95, "SSN": 92, "NATIONALID": 92, "CARDEXPIRY": 90, "EMAIL": 88,
    "PHONENUMBER": 85, "ZIPCODE": 80, "ADDRESS": 70, "BUILDINGNUMBER": 72, "DATE": 60, "TIME": 58,
    "LASTNAME": 50, "FIRSTNAME": 50,
}


def token_type(entity: str) -> str:
    """The ENTITYTYPE part of `[ENTITYTYPE_n]` for a detector type."""
    return _TOKEN_TYPE.get(entity, entity)


def selected(pii: bool, pci: bool) -> frozenset[str]:
    """Detector types that the request's flags turn on."""
    out: frozenset[str] = frozenset()
    if pii:
        out |= PII_ENTITIES
    if pci:
        out |= PCI_ENTITIES
    return out
