"""Text post-processing of finals: inverse text normalisation, formatting switches, keyword boosting.

Pure Python, no models: the live path calls these on each final (`apply_to_transcript` applies the
same formatting switches to a whole Transcript).
"""

from models.text.formatting import (
    TextOptions,
    apply_text_options,
    apply_to_transcript,
    parse_numerals,
    text_options_from_query,
)
from models.text.itn import ItnConfig, itn_text, itn_words
from models.text.keywords import (
    Keyword,
    KeywordError,
    KeywordPromptConfig,
    apply_keyword_casing,
    apply_keyword_casing_text,
    keyword_prompt,
    parse_keywords,
)

__all__ = [
    "ItnConfig",
    "Keyword",
    "KeywordError",
    "KeywordPromptConfig",
    "TextOptions",
    "apply_keyword_casing",
    "apply_keyword_casing_text",
    "apply_text_options",
    "apply_to_transcript",
    "itn_text",
    "itn_words",
    "keyword_prompt",
    "parse_keywords",
    "parse_numerals",
    "text_options_from_query",
]
