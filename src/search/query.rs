//! The search query language and its translation into tantivy queries.
//!
//! ```text
//! checkout payment          both words (AND is the default)
//! checkout OR paypal        either
//! checkout NOT paypal       the first without the second (also: checkout -paypal)
//! "saved card"              a phrase
//! refund*                   a prefix
//! title:refund steps:"order page"   a field: title, refs, text (custom text fields), steps, options
//! (card OR paypal) AND refund       grouping
//! ```
//!
//! tantivy's own parser does not take single-word prefixes (`refund*`), so the grammar is
//! parsed here and the queries are built directly.

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RegexQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, Term};

use super::schema::{CaseSchema, DEFAULT_FIELDS};
use crate::error::{Error, Result};

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Word {
        field: Option<String>,
        text: String,
        prefix: bool,
    },
    Phrase {
        field: Option<String>,
        text: String,
        prefix: bool,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    Minus,
    Word {
        field: Option<String>,
        text: String,
    },
    Phrase {
        field: Option<String>,
        text: String,
        prefix: bool,
    },
}

fn bad(detail: impl std::fmt::Display) -> Error {
    Error::validation(
        "q",
        format!("Field :q is not a valid search query: {detail}."),
    )
}

fn lex(q: &str) -> Result<Vec<Tok>> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push(Tok::Open);
                i += 1;
                continue;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
                continue;
            }
            '-' => {
                out.push(Tok::Minus);
                i += 1;
                continue;
            }
            '+' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        // An optional `field:` then a phrase or a word.
        let start = i;
        let mut field = None;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let value_follows = chars.get(i + 1).is_some_and(|c| !c.is_whitespace());
        if i < chars.len() && chars[i] == ':' && i > start && value_follows {
            field = Some(chars[start..i].iter().collect::<String>());
            i += 1;
        } else {
            i = start;
        }
        if i < chars.len() && chars[i] == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|c| *c == '"')
                .ok_or_else(|| bad("a quote is not closed"))?;
            let text: String = chars[i + 1..i + 1 + end].iter().collect();
            i += end + 2;
            // `"big bad wo"*`: the last word of the phrase is a prefix.
            let prefix = chars.get(i) == Some(&'*');
            if prefix {
                i += 1;
            }
            out.push(Tok::Phrase {
                field,
                text,
                prefix,
            });
            continue;
        }
        let wstart = i;
        while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
            i += 1;
        }
        let text: String = chars[wstart..i].iter().collect();
        if field.is_none() {
            match text.as_str() {
                "AND" | "&&" => {
                    out.push(Tok::And);
                    continue;
                }
                "OR" | "||" => {
                    out.push(Tok::Or);
                    continue;
                }
                "NOT" => {
                    out.push(Tok::Not);
                    continue;
                }
                _ => {}
            }
        }
        if text.is_empty() {
            return Err(bad("a field name needs a value after the colon"));
        }
        out.push(Tok::Word { field, text });
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Node> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek() {
                None | Some(Tok::Close) | Some(Tok::Or) => break,
                Some(Tok::And) => {
                    self.pos += 1;
                    items.push(self.unary()?);
                }
                Some(_) => items.push(self.unary()?),
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node> {
        match self.peek() {
            Some(Tok::Not) | Some(Tok::Minus) => {
                self.pos += 1;
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Node> {
        let tok = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| bad("it ends where a term was expected"))?;
        self.pos += 1;
        match tok {
            Tok::Open => {
                self.depth += 1;
                if self.depth > 64 {
                    return Err(bad("parentheses nest too deep"));
                }
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(bad("a parenthesis is not closed"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Word { field, text } => {
                let (text, prefix) = match text.strip_suffix('*') {
                    Some(t) if !t.is_empty() => (t.to_string(), true),
                    _ => (text, false),
                };
                Ok(Node::Word {
                    field,
                    text,
                    prefix,
                })
            }
            Tok::Phrase {
                field,
                text,
                prefix,
            } => Ok(Node::Phrase {
                field,
                text,
                prefix,
            }),
            Tok::Close => Err(bad("a closing parenthesis has no opening one")),
            Tok::And | Tok::Or | Tok::Not | Tok::Minus => Err(bad("an operator is missing a term")),
        }
    }
}

/// Parses a query; `None` for an empty query (which matches every case).
pub fn parse(q: &str) -> Result<Option<Node>> {
    let toks = lex(q)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let node = p.or()?;
    if p.pos != p.toks.len() {
        return Err(bad("a closing parenthesis has no opening one"));
    }
    Ok(Some(node))
}

fn escape_regex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"@<>".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Builds tantivy queries from parsed nodes.
pub struct Builder<'a> {
    pub schema: &'a CaseSchema,
    pub index: &'a Index,
}

impl Builder<'_> {
    fn fields(&self, name: &Option<String>) -> Result<Vec<(Field, f32)>> {
        match name {
            None => Ok(DEFAULT_FIELDS
                .iter()
                .filter_map(|(n, boost)| self.schema.text_field(n).map(|f| (f, *boost)))
                .collect()),
            Some(n) => self
                .schema
                .text_field(n)
                .map(|f| vec![(f, 1.0)])
                .ok_or_else(|| {
                    bad(format!(
                        "unknown field '{n}' (use title, refs, text, steps or options)"
                    ))
                }),
        }
    }

    fn analyzer(&self, field: Field) -> Result<TextAnalyzer> {
        self.index
            .tokenizer_for_field(field)
            .map_err(|e| Error::internal(format!("search tokenizer: {e}")))
    }

    fn tokens(&self, field: Field, text: &str) -> Result<Vec<(usize, Term)>> {
        let mut analyzer = self.analyzer(field)?;
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        stream.process(&mut |t| out.push((t.position, Term::from_field_text(field, &t.text))));
        Ok(out)
    }

    fn leaf(&self, field: Field, text: &str, prefix: bool) -> Result<Option<Box<dyn Query>>> {
        let mut terms = self.tokens(field, text)?;
        Ok(match (terms.len(), prefix) {
            (0, _) => None,
            (1, false) => Some(Box::new(TermQuery::new(
                terms.remove(0).1,
                IndexRecordOption::WithFreqs,
            ))),
            (1, true) => {
                let word = terms[0].1.value().as_str().unwrap_or_default().to_string();
                let re = format!("{}.*", escape_regex(&word));
                Some(Box::new(RegexQuery::from_pattern(&re, field).map_err(
                    |e| bad(format!("the prefix '{word}*' cannot be searched ({e})")),
                )?))
            }
            (_, false) => Some(Box::new(PhraseQuery::new_with_offset(terms))),
            (_, true) => Some(Box::new(PhrasePrefixQuery::new_with_offset(terms))),
        })
    }

    fn across(&self, field: &Option<String>, text: &str, prefix: bool) -> Result<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (f, boost) in self.fields(field)? {
            if let Some(q) = self.leaf(f, text, prefix)? {
                let q: Box<dyn Query> = if boost == 1.0 {
                    q
                } else {
                    Box::new(BoostQuery::new(q, boost))
                };
                clauses.push((Occur::Should, q));
            }
        }
        if clauses.is_empty() {
            // Only stop characters: matches nothing rather than everything.
            return Ok(Box::new(BooleanQuery::new(vec![(
                Occur::MustNot,
                Box::new(AllQuery) as Box<dyn Query>,
            )])));
        }
        if clauses.len() == 1 {
            return Ok(clauses.remove(0).1);
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    pub fn build(&self, node: &Node) -> Result<Box<dyn Query>> {
        Ok(match node {
            Node::Word {
                field,
                text,
                prefix,
            } => self.across(field, text, *prefix)?,
            Node::Phrase {
                field,
                text,
                prefix,
            } => self.across(field, text, *prefix)?,
            Node::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, self.build(inner)?),
            ])),
            Node::And(items) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for item in items {
                    match item {
                        Node::Not(inner) => clauses.push((Occur::MustNot, self.build(inner)?)),
                        other => clauses.push((Occur::Must, self.build(other)?)),
                    }
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Node::Or(items) => Box::new(BooleanQuery::new(
                items
                    .iter()
                    .map(|i| Ok((Occur::Should, self.build(i)?)))
                    .collect::<Result<Vec<_>>>()?,
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(t: &str) -> Node {
        Node::Word {
            field: None,
            text: t.into(),
            prefix: false,
        }
    }

    #[test]
    fn grammar() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("a b").unwrap(), Some(Node::And(vec![w("a"), w("b")])));
        assert_eq!(
            parse("a OR b c").unwrap(),
            Some(Node::Or(vec![w("a"), Node::And(vec![w("b"), w("c")])]))
        );
        assert_eq!(
            parse("a -b").unwrap(),
            Some(Node::And(vec![w("a"), Node::Not(Box::new(w("b")))]))
        );
        assert_eq!(parse("NOT a").unwrap(), Some(Node::Not(Box::new(w("a")))));
        assert_eq!(
            parse("title:\"saved card\" ref*").unwrap(),
            Some(Node::And(vec![
                Node::Phrase {
                    field: Some("title".into()),
                    text: "saved card".into(),
                    prefix: false
                },
                Node::Word {
                    field: None,
                    text: "ref".into(),
                    prefix: true
                },
            ]))
        );
        assert_eq!(
            parse("(a OR b) AND c").unwrap(),
            Some(Node::And(vec![Node::Or(vec![w("a"), w("b")]), w("c")]))
        );
        // A colon with nothing after it is just text (queries pasted from logs: "Error: timeout").
        assert_eq!(
            parse("Error: timeout").unwrap(),
            Some(Node::And(vec![w("Error:"), w("timeout")]))
        );
        for bad in ["(a", "a)", "\"open", "a AND", "OR", &"(".repeat(100)] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.field(), Some("q"), "{bad}");
        }
    }
}
