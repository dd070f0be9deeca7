"""Word lists the spoken-form recognizers share: number words, context cues, units, streets, states.

Everything is lower case; recognizers compare against `token.lower`.
"""

from __future__ import annotations

# --- numbers -------------------------------------------------------------------------------
DIGIT_WORDS: dict[str, int] = {
    "zero": 0, "oh": 0, "o": 0, "nought": 0, "naught": 0, "nil": 0,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "niner": 9,
    # Hindi digit words (Devanagari), so spoken digits in `hi` transcripts form runs too.
    "शून्य": 0, "ज़ीरो": 0, "जीरो": 0, "एक": 1, "दो": 2, "तीन": 3, "चार": 4, "पांच": 5, "पाँच": 5,
    "छह": 6, "छः": 6, "छे": 6, "सात": 7, "आठ": 8, "नौ": 9,
}
# "oh"/"o"/"nil" read as zero only next to other number words: alone they are interjections.
WEAK_ZERO = frozenset({"oh", "o", "nil"})
TEEN_WORDS: dict[str, int] = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS_WORDS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
REPEAT_WORDS: dict[str, int] = {"double": 2, "triple": 3}
# Words ASR writes for digits; read as digits only between two other number chunks.
HOMOPHONES: dict[str, str] = {
    "for": "4", "to": "2", "too": "2", "won": "1",
    # Whisper on read-out digits: "4 time 176" (nine), "free"/"tree" (three), "ate" (eight), "sex" (six).
    "time": "9", "tree": "3", "free": "3", "ate": "8", "sex": "6", "nein": "9", "i'm": "9", "find": "5",
    "sick": "6", "far": "4",
}
# Misheard digits that are rare words otherwise ("fine, fine, fine" for five five five, "Nero" for
# zero): they join a run beside other digits, and three in a row make a run on their own.
SOUND_ALIKE_DIGITS: dict[str, str] = {"fine": "5", "nero": "0", "zeroes": "0", "fife": "5", "niner": "9"}
HUNDRED = frozenset({"hundred"})
THOUSAND = frozenset({"thousand"})
# Tokens that may sit between the digit groups of one spoken or written number.
RUN_JOINERS = frozenset({"-", "–", "—", ",", ".", "/", "(", ")", "dash", "hyphen", "slash"})
FILLERS = frozenset({"uh", "um", "umm", "uhm", "er", "erm", "ah", "eh", "hmm", "mm"})

ORDINAL_WORDS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
# Month words that are also everyday words: a date needs a day or year right beside them.
AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar", "jan", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "sept"})
WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})

# A number followed by one of these is a quantity, not an identifier.
UNIT_WORDS = frozenset({
    "dollar", "dollars", "buck", "bucks", "cent", "cents", "percent", "%", "rupee", "rupees", "pound", "pounds",
    "euro", "euros", "minute", "minutes", "min", "mins", "hour", "hours", "hrs", "second", "seconds", "secs",
    "day", "days", "week", "weeks", "month", "months", "year", "years", "yrs", "kid", "kids", "child",
    "children", "people", "persons", "person", "guests", "times", "items", "item", "pieces", "boxes", "miles",
    "mile", "km", "kilometers", "meters", "feet", "foot", "inches", "lbs", "kg", "kilos", "grams",
    "degrees", "points", "calories", "steps", "floors", "bedrooms", "rooms", "nights", "tickets", "seats",
    "orders", "units", "digit", "digits", "gb", "mb", "tb", "k", "grand", "million", "billion", "thousand", "hundred",
    "am", "pm", "a.m.", "p.m.", "o'clock", "oclock", "st", "nd", "rd", "th", "x",
})

# --- context cues ----------------------------------------------------------------------------
# Each cue is a tuple of lower-case tokens; the nearest cue before a number decides its type.
CUES: dict[str, tuple[tuple[str, ...], ...]] = {
    "CARD": (
        ("कार्ड",), ("क्रेडिट",), ("डेबिट",), ("charge", "it", "to"), ("put", "it", "on"), ("pay", "with"),
        ("paying", "with"), ("charge", "my"), ("charge", "the"),
        ("card",), ("cards",), ("visa",), ("mastercard",), ("master", "card"), ("amex",),
        ("american", "express"), ("discover",), ("debit",), ("credit",), ("cc",),
        # ASR for "card": "cart number", "car number", "the card's"
        ("cart", "number"), ("car", "number"), ("card's",),
    ),
    "CARD_TAIL": (
        ("ending", "in"), ("ending", "with"), ("ends", "in"), ("ends", "with"), ("last", "four"),
        ("last", "4"), ("ending",), ("last", "four", "digits"), ("last", "4", "digits"), ("digits", "are"), ("digits", "is"),
    ),
    "CVV": (
        ("सीवीवी",),
        ("cvv",), ("cvc",), ("cvv2",), ("cvc2",), ("csc",), ("cid",), ("c", "v", "v"), ("c", "v", "c"),
        ("security", "code"), ("verification", "code"), ("verification", "number"), ("security", "number"),
        ("card", "code"), ("three", "digit", "code"), ("3", "digit", "code"), ("four", "digit", "code"),
        ("three", "digits", "code"), ("3", "digits", "code"), ("four", "digits", "code"),
        # ASR for "CVV": "CV", "see me", "CME", "see v"
        ("cv",), ("see", "me"), ("cme",), ("see", "v"), ("see", "vee"),
        ("digits", "on", "the", "back"), ("code", "on", "the", "back"), ("back", "of", "the", "card"),
    ),
    "CODE": (("code",),),  # "the code is 123": a CVV only when a card was mentioned
    "PIN": (("pin",), ("pin", "number"), ("atm", "pin"), ("bin",), ("bin", "number")),  # "BIN" for PIN
    "EXPIRY": (
        ("एक्सपायरी",), ("समाप्ति",),
        ("expiry",), ("expiration",), ("expires",), ("expire",), ("expired",), ("expiring",), ("exp",),
        ("valid", "thru"), ("valid", "through"), ("valid", "till"), ("valid", "until"), ("good", "thru"),
        ("good", "through"), ("good", "till"), ("good", "until"), ("expiry", "date"), ("expiration", "date"),
    ),
    "ACCOUNT": (
        ("खाता",), ("खाते",), ("अकाउंट",), ("बैंक",),
        ("account",), ("accounts",), ("acct",), ("a/c",), ("checking",), ("savings",), ("iban",),
        ("sort", "code"), ("bank",), ("routing",), ("aba",), ("swift",), ("ifsc",), ("member", "number"),
        ("member", "id"), ("customer", "id"), ("customer", "number"),
        ("a", "count"), ("count", "number"),  # ASR for "account"
    ),
    "PHONE": (
        ("फोन",), ("फ़ोन",), ("मोबाइल",),
        ("phone",), ("telephone",), ("cell",), ("cellphone",), ("mobile",), ("call",), ("calling",),
        ("reach",), ("text",), ("dial",), ("fax",), ("landline",), ("whatsapp",), ("contact",),
        ("callback",), ("call", "back"), ("area", "code"), ("extension",), ("ext",), ("phone", "number"),
        ("cell", "number"), ("reach", "me", "at"), ("call", "me", "at"), ("ring",), ("phoned",),
        ("voicemail",), ("helpline",), ("hotline",),
    ),
    # "number" alone: a phone number only when nothing more specific is near ("card number" is a card).
    "NUMBER": (("number",), ("numbers",), ("no",), ("num",), ("#",), ("नंबर",), ("नम्बर",), ("संख्या",)),
    "SSN": (
        ("ssn",), ("social",), ("social", "security"), ("social", "security", "number"), ("s", "s", "n"),
        ("tax", "id"), ("itin",), ("sin",), ("national", "insurance"),
    ),
    "ZIP": (
        ("पिन", "कोड"), ("पिनकोड",),
        ("zip",), ("zipcode",), ("zip", "code"), ("postal",), ("postal", "code"), ("postcode",),
        ("post", "code"), ("pin", "code"), ("pincode",),
    ),
    # Indian national IDs are left to the Aadhaar/PAN recognizers.
    "NATIONAL_ID": (("aadhaar",), ("aadhar",), ("आधार",), ("uidai",), ("pan",), ("पैन",)),
    "BIRTH": (
        ("जन्म",),
        ("born",), ("birth",), ("birthday",), ("dob",), ("d", "o", "b"), ("date", "of", "birth"),
    ),
    "NEGATIVE": (
        ("order",), ("orders",), ("confirmation",), ("tracking",), ("reference",), ("ref",), ("invoice",),
        ("ticket",), ("case",), ("claim",), ("flight",), ("room",), ("gate",), ("seat",), ("model",),
        ("serial",), ("version",), ("page",), ("chapter",), ("episode",), ("item",), ("sku",), ("booking",),
        ("reservation",), ("policy",), ("invoice",), ("table",), ("platform",), ("bus",), ("route",),
        ("channel",), ("score",), ("level",), ("grade",), ("class",), ("batch",), ("lot",), ("part",),
        ("pnr",), ("record",), ("receipt",), ("transaction",), ("trip",),
    ),
}
# Long cue words ASR mishears by a letter or two ("Marification", "Exploration", "acount"): a word
# within a small edit distance of one of these reads as it (see cues.canonical).
FUZZY_CUE_WORDS = (
    "verification", "security", "expiration", "expiry", "expires", "account", "routing", "mastercard",
    "american", "express", "checking", "savings", "telephone", "birthday", "ending",
)
# Letter names ASR writes for a spelled acronym ("see vee vee" for C-V-V).
LETTER_NAMES: dict[str, str] = {
    "see": "c", "sea": "c", "cee": "c", "vee": "v", "bee": "b", "be": "b", "ess": "s", "dee": "d", "pee": "p",
    "me": "v",  # "see me me" for C-V-V (three letter names are needed, so "see me" alone is not an acronym)
}
# Spelled acronyms (collapsed from "S-S-N", "d o b") and the cue they are; CVV shapes are in cues.py.
SPELLED_CUES: dict[str, str] = {
    "ssn": "SSN", "dob": "BIRTH", "pin": "PIN", "cvc": "CVV", "csc": "CVV", "cid": "CVV", "exp": "EXPIRY",
    "acc": "ACCOUNT", "acct": "ACCOUNT",
}
# Cues that override a unit word right after the number ("my zip is 10001 thanks").
STRONG_CUES = frozenset({"CARD", "CVV", "EXPIRY", "ACCOUNT", "SSN", "ZIP", "CARD_TAIL", "PIN"})
# Short ("the code", "my number") cues only count when this close to the number.
WEAK_CUES = frozenset({"CODE"})

# --- addresses -------------------------------------------------------------------------------
STREET_SUFFIXES = frozenset({
    "street", "st", "avenue", "ave", "av", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr",
    "court", "ct", "way", "place", "pl", "terrace", "ter", "circle", "cir", "parkway", "pkwy", "highway",
    "hwy", "square", "sq", "trail", "trl", "crescent", "close", "row", "alley", "plaza", "loop", "pike",
    "grove", "gardens", "heights", "marg", "nagar", "mews", "expressway", "freeway", "turnpike", "causeway",
    "esplanade", "promenade", "walk", "hill", "view", "ridge", "park",
})
# Suffixes that are also common nouns need a building number or a strong cue before the street.
WEAK_STREET_SUFFIXES = frozenset({"walk", "hill", "view", "ridge", "park", "row", "close", "way", "place", "loop"})
DIRECTIONS = frozenset({
    "north", "south", "east", "west", "n", "s", "e", "w", "ne", "nw", "se", "sw", "northeast", "northwest",
    "southeast", "southwest",
})
UNIT_DESIGNATORS = frozenset({"apartment", "apt", "unit", "suite", "ste", "flat", "#", "room", "floor", "building", "bldg"})
ADDRESS_CUES: tuple[tuple[str, ...], ...] = (
    ("live", "at"), ("live", "on"), ("live", "in"), ("lives", "at"), ("lives", "on"), ("lives", "in"),
    ("living", "at"), ("living", "on"), ("living", "in"), ("reside", "at"), ("reside", "in"), ("resides", "in"),
    ("residing", "at"), ("residing", "in"), ("address", "is"), ("address", "was"), ("address", "it's"),
    ("moved", "to"), ("located", "at"), ("staying", "at"), ("ship", "it", "to"), ("send", "it", "to"),
    ("deliver", "it", "to"), ("mail", "it", "to"), ("shipping", "address"), ("billing", "address"),
    ("address",),
)
US_STATES: dict[str, str] = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
    "connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id",
    "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la",
    "maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi", "minnesota": "mn",
    "mississippi": "ms", "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
    "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny", "north carolina": "nc",
    "north dakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa",
    "rhode island": "ri", "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx",
    "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa", "west virginia": "wv",
    "wisconsin": "wi", "wyoming": "wy", "district of columbia": "dc",
}
STATE_ABBREVIATIONS = frozenset(US_STATES.values())

# --- names -----------------------------------------------------------------------------------
TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "doctor", "mister", "missus", "prof", "professor", "sir", "madam"})
# Words that never start or continue a personal name even when capitalised or tagged PROPN.
NOT_NAME_WORDS = frozenset({
    "i", "me", "my", "mine", "you", "your", "he", "him", "his", "she", "her", "we", "us", "our", "they", "them",
    "their", "it", "its", "this", "that", "these", "those", "the", "a", "an", "and", "or", "but", "so", "is",
    "am", "are", "was", "were", "be", "been", "being", "here", "there", "calling", "speaking", "talking",
    "from", "with", "at", "on", "in", "to", "for", "of", "by", "about", "just", "not", "no", "yes", "yeah",
    "okay", "ok", "sure", "hi", "hello", "hey", "thanks", "thank", "please", "sorry", "well", "um", "uh",
    "regarding", "again", "also", "too", "very", "really", "actually", "going", "trying", "gonna",
    "looking", "having", "getting", "doing", "fine", "good", "great", "glad", "happy", "afraid", "still", "now", "today", "tomorrow", "yesterday", "then", "what", "who", "how", "why", "when", "where",
    "which", "all", "any", "some", "one", "two", "three", "card", "number", "account", "visa", "mastercard",
    "amex", "discover", "bank", "customer", "service", "support", "agent", "manager", "name", "first", "last",
    "surname", "street", "avenue", "road", "phone", "email", "address", "zip", "code", "new", "old",
    "done", "ready", "back", "home", "out", "up", "down", "over", "after", "before", "right", "left",
    "spelled", "spell", "like", "as", "if", "can", "could", "would", "should", "will", "shall", "may", "might",
    "must", "do", "does", "did", "have", "has", "had", "get", "got", "want", "need", "call", "said", "says",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "god", "jesus", "lord",
    "alexa", "siri", "google", "apple", "amazon", "microsoft", "paypal", "venmo", "zelle", "chase", "citi",
    "wells", "fargo", "barclays", "hsbc", "uber", "lyft", "netflix", "mister", "miss", "sir", "madam", "ma'am",
    "dear", "everyone", "everybody", "someone", "somebody", "anyone", "nobody", "guys", "folks", "team",
    "ai", "cv", "cvv", "cvc", "ssn", "pin", "dob", "dot", "com", "underscore", "dash", "hyphen", "gmail", "yahoo", "hotmail", "outlook", "pm", "o'clock",
})
PERSON_CUES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    # (cue tokens, strength, which name part the following words are)
    (("my", "name", "is"), "strong", "full"), (("name", "is"), "strong", "full"), (("name's",), "strong", "full"),
    (("my", "name's"), "strong", "full"), (("full", "name", "is"), "strong", "full"),
    (("first", "name", "is"), "strong", "first"), (("first", "name's"), "strong", "first"),
    (("first", "name"), "strong", "first"), (("last", "name", "is"), "strong", "last"),
    (("last", "name"), "strong", "last"), (("last", "name's"), "strong", "last"),
    (("surname", "is"), "strong", "last"), (("surname",), "strong", "last"),
    (("family", "name", "is"), "strong", "last"), (("middle", "name", "is"), "strong", "first"),
    (("this", "is"), "medium", "full"), (("it's",), "weak", "full"), (("i", "am"), "weak", "full"),
    (("i'm",), "weak", "full"), (("im",), "weak", "full"), (("speaking", "with"), "medium", "full"),
    (("speak", "with"), "medium", "full"), (("speak", "to"), "medium", "full"), (("talking", "to"), "medium", "full"),
    (("talk", "to"), "medium", "full"), (("ask", "for"), "medium", "full"), (("transfer", "me", "to"), "medium", "full"),
    (("named",), "strong", "full"), (("called",), "medium", "full"), (("call", "me"), "weak", "first"),
    (("goes", "by"), "medium", "full"), (("under", "the", "name"), "strong", "full"),
    (("account", "holder", "is"), "strong", "full"), (("cardholder", "name", "is"), "strong", "full"),
    (("name", "on", "the", "card", "is"), "strong", "full"), (("spoke", "with"), "medium", "full"),
    (("spoke", "to"), "medium", "full"), (("thanks",), "weak", "first"), (("thank", "you"), "weak", "first"),
    (("hi",), "weak", "first"), (("hello",), "weak", "first"), (("hey",), "weak", "first"),
    (("dear",), "medium", "full"), (("my", "wife"), "medium", "full"), (("my", "husband"), "medium", "full"),
    (("my", "son"), "medium", "full"), (("my", "daughter"), "medium", "full"), (("my", "mother"), "medium", "full"),
    (("my", "father"), "medium", "full"), (("my", "brother"), "medium", "full"), (("my", "sister"), "medium", "full"),
    (("my", "mom"), "medium", "full"), (("my", "dad"), "medium", "full"), (("my", "friend"), "medium", "full"),
    (("my", "colleague"), "medium", "full"), (("my", "manager"), "medium", "full"), (("my", "boss"), "medium", "full"),
    (("my", "partner"), "medium", "full"), (("my", "neighbor"), "medium", "full"),
)
