//! The text fields' tokenizer: tantivy's `default` analyzer (split where a character is not
//! alphanumeric, drop tokens of 40 bytes or more, lowercase), token for token, in one pass.
//!
//! tantivy builds that analyzer as three stages: a tokenizer that decodes every character and
//! copies each token, a filter, and a lowercaser that reads the token again. Case text is
//! almost all ASCII, and those stages took a tenth of the indexing threads' time in a bulk
//! import (docs/benchmarks.md). This one reads ASCII a byte at a time through a class table and
//! copies each token once, lowercasing it in place only when it saw an uppercase letter; only a
//! token with a non-ASCII character is lowercased the way tantivy's is.
//!
//! It is registered under tantivy's own name for that analyzer, `default`, because it yields
//! the same tokens, positions and offsets (a test compares the two on arbitrary text): an index
//! written by either is read the same by the other, so no index has to be rebuilt for it, and a
//! tantivy `Index` opened without it would still agree with one opened with it.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::Index;

/// The name the schema's text fields give their tokenizer.
pub const NAME: &str = "default";

/// A token of this many bytes or more (before lowercasing) is dropped, as tantivy's
/// `RemoveLongFilter::limit(40)` in its `default` analyzer does; it still takes a position.
const LONG: usize = 40;

/// Registers the tokenizer with an opened or created index, for its writers and queries.
pub fn register(index: &Index) {
    index.tokenizers().register(NAME, CaseTokenizer::default());
}

/// tantivy's `default` analyzer in one pass (see the module docs).
#[derive(Clone, Default)]
pub struct CaseTokenizer {
    token: Token,
}

pub struct CaseTokenStream<'a> {
    text: &'a str,
    /// Where the next token's search starts.
    at: usize,
    token: &'a mut Token,
}

impl Tokenizer for CaseTokenizer {
    type TokenStream<'a> = CaseTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CaseTokenStream<'a> {
        self.token.reset();
        CaseTokenStream {
            text,
            at: 0,
            token: &mut self.token,
        }
    }
}

/// What a byte starts, as bits: a separator (none), an ASCII letter or digit, an uppercase
/// one (which a token's lowercasing has to change), or a character beyond ASCII.
const SEP: u8 = 0;
const WORD: u8 = 1;
const UPPER: u8 = 2;
const WIDE: u8 = 4;

/// Each byte's class, so that scanning ASCII costs one lookup a byte.
const CLASS: [u8; 256] = {
    let mut t = [WIDE; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_uppercase() {
            WORD | UPPER
        } else if c.is_ascii_alphanumeric() {
            WORD
        } else {
            SEP
        };
        b += 1;
    }
    t
};

/// Whether the non-ASCII character at `at` is alphanumeric, and its length in bytes.
#[cold]
fn wide(text: &str, at: usize) -> (bool, usize) {
    // `at` is always on a character boundary: it only ever moves by whole characters.
    let c = text[at..].chars().next().unwrap_or(' ');
    (c.is_alphanumeric(), c.len_utf8())
}

impl TokenStream for CaseTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let (text, bytes) = (self.text, self.text.as_bytes());
        let mut at = self.at;
        loop {
            // Skip to the next alphanumeric character.
            let start = loop {
                let Some(&b) = bytes.get(at) else {
                    self.at = at;
                    self.token.text.clear();
                    return false;
                };
                match CLASS[usize::from(b)] {
                    SEP => {
                        at += 1;
                        continue;
                    }
                    WIDE => {}
                    _ => break at,
                }
                let (word, len) = wide(text, at);
                if word {
                    break at;
                }
                at += len;
            };
            // The classes of the token's bytes, or-ed.
            let mut seen = SEP;
            while let Some(&b) = bytes.get(at) {
                let class = CLASS[usize::from(b)];
                if class & WORD != 0 {
                    seen |= class;
                    at += 1;
                    continue;
                }
                if class == SEP {
                    break;
                }
                let (word, len) = wide(text, at);
                if !word {
                    break;
                }
                seen |= WIDE;
                at += len;
            }
            // Every token takes a position, a dropped long one too, as in tantivy's analyzer.
            self.token.position = self.token.position.wrapping_add(1);
            if at - start >= LONG {
                continue;
            }
            let word = &text[start..at];
            let out = &mut self.token.text;
            out.clear();
            if seen & WIDE == 0 {
                out.push_str(word);
                if seen & UPPER != 0 {
                    out.make_ascii_lowercase();
                }
            } else {
                // tantivy's lowercaser: each character's own lowercase (no final-sigma rule).
                for c in word.chars() {
                    out.extend(c.to_lowercase());
                }
            }
            self.token.offset_from = start;
            self.token.offset_to = at;
            self.at = at;
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};

    use super::*;

    /// Every token of `text` as (text, position, offsets, position length).
    fn tokens(
        analyzer: &mut TextAnalyzer,
        text: &str,
    ) -> Vec<(String, usize, usize, usize, usize)> {
        let mut out = Vec::new();
        analyzer.token_stream(text).process(&mut |t| {
            out.push((
                t.text.clone(),
                t.position,
                t.offset_from,
                t.offset_to,
                t.position_length,
            ))
        });
        out
    }

    /// tantivy's own `default` analyzer, built as its `TokenizerManager` builds it.
    fn tantivys() -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .build()
    }

    fn same(text: &str) {
        let ours = tokens(&mut TextAnalyzer::from(CaseTokenizer::default()), text);
        assert_eq!(ours, tokens(&mut tantivys(), text), "tokens of {text:?}");
    }

    #[test]
    fn tokens_as_tantivys_default_analyzer() {
        for text in [
            "",
            "   ",
            "Hello, happy tax payer!",
            "SHOP-123 checkout_flow v2.1",
            "ÉCOLE Straße İstanbul ΣΟΦΊΑ naïve café",
            "日本語のテキスト and ascii",
            "a123456789012345678901234567890123456789 b",
            "a12345678901234567890123456789012345678 b",
            "ééééééééééééééééééééé long in bytes, short in chars",
            "tab\tnew\nline\r\n",
            "emoji 🙂 between",
        ] {
            same(text);
        }
    }

    #[test]
    fn the_index_uses_it_for_the_text_fields() {
        let schema = crate::search::schema::CaseSchema::new();
        let index = Index::create_in_ram(schema.schema.clone());
        register(&index);
        let mut analyzer = index.tokenizer_for_field(schema.title).unwrap();
        let got = tokens(&mut analyzer, "Log-In FAILS");
        assert_eq!(
            got.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
            ["log", "in", "fails"]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_text_tokens_as_tantivys(text in "(\\PC|[ \\-_.,A-Za-z0-9]){0,120}") {
            same(&text);
        }

        #[test]
        fn long_words_take_positions_as_tantivys(
            words in proptest::collection::vec("[a-zA-Zé0-9]{1,50}", 0..12),
        ) {
            same(&words.join(" "));
        }
    }
}
