//! RFC 7644 §3.4.2.2 filters: a small parser for the filter language
//! (`userName eq "bjensen"`, `emails[type eq "work" and value co "@example.com"]`,
//! `not (…)`, `and` binding tighter than `or`), and an evaluator over a JSON
//! resource, used for PATCH value paths (`emails[type eq "work"].value`,
//! `members[value eq "…"]`). List queries translate the same tree to SQL
//! (`users::condition`, `groups::condition`).

use serde_json::Value;

use crate::error::{AppError, AppResult, Invalid};

/// The longest filter accepted, in characters.
pub const MAX_FILTER_CHARS: usize = 2048;
/// How deep brackets and `not` may nest.
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// An attribute as a filter or a PATCH path names it: its name (without a
/// schema URN) and optionally one sub-attribute, both as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Case-insensitive comparison with `attr` (and `sub`), as RFC 7643 §2.1 says of names.
    pub fn is(&self, attr: &str, sub: Option<&str>) -> bool {
        self.attr.eq_ignore_ascii_case(attr)
            && match (&self.sub, sub) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some element of the multi-valued attribute matches.
    ValuePath {
        attr: String,
        filter: Box<Filter>,
    },
}

pub fn invalid() -> AppError {
    AppError::validation("filter", Invalid::BadFormat)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokenize(text: &str) -> AppResult<Vec<Token>> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1
            }
            '[' => {
                tokens.push(Token::OpenBracket);
                i += 1
            }
            ']' => {
                tokens.push(Token::CloseBracket);
                i += 1
            }
            '"' => {
                // A JSON string: find its end, honouring escapes, and let serde decode it.
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(invalid());
                }
                i += 1;
                let literal: String = chars[start..i].iter().collect();
                let decoded: String = serde_json::from_str(&literal).map_err(|_| invalid())?;
                tokens.push(Token::Str(decoded));
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '\t' | '\n' | '\r' | '(' | ')' | '[' | ']' | '"') {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

/// Strips a schema URN (`urn:ietf:params:scim:schemas:core:2.0:User:userName`)
/// and splits `name.givenName`.
pub fn attr_path(text: &str) -> AppResult<AttrPath> {
    let bare = if text.to_ascii_lowercase().starts_with("urn:") {
        text.rsplit_once(':').map(|(_, attr)| attr).ok_or_else(invalid)?
    } else {
        text
    };
    let (attr, sub) = match bare.split_once('.') {
        Some((attr, sub)) => (attr, Some(sub)),
        None => (bare, None),
    };
    let valid =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    if !valid(attr) || sub.is_some_and(|s| !valid(s)) {
        return Err(invalid());
    }
    Ok(AttrPath { attr: attr.to_owned(), sub: sub.map(str::to_owned) })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> AppResult<Filter> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> AppResult<Filter> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> AppResult<T>) -> AppResult<T> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(invalid());
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn unary(&mut self) -> AppResult<Filter> {
        if self.keyword("not") {
            self.at += 1;
            if self.next() != Some(Token::Open) {
                return Err(invalid());
            }
            let inner = self.nested(Self::or)?;
            if self.next() != Some(Token::Close) {
                return Err(invalid());
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.nested(Self::or)?;
            if self.next() != Some(Token::Close) {
                return Err(invalid());
            }
            return Ok(inner);
        }
        let Some(Token::Word(attr)) = self.next() else { return Err(invalid()) };
        if self.peek() == Some(&Token::OpenBracket) {
            self.at += 1;
            let path = attr_path(&attr)?;
            if path.sub.is_some() {
                return Err(invalid());
            }
            let inner = self.nested(Self::or)?;
            if self.next() != Some(Token::CloseBracket) {
                return Err(invalid());
            }
            return Ok(Filter::ValuePath { attr: path.attr, filter: Box::new(inner) });
        }
        let path = attr_path(&attr)?;
        let Some(Token::Word(op)) = self.next() else { return Err(invalid()) };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return Err(invalid()),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => serde_json::from_str::<serde_json::Number>(&w).map(Value::Number).map_err(|_| invalid())?,
            },
            _ => return Err(invalid()),
        };
        Ok(Filter::Compare { path, op, value })
    }
}

/// Parses a filter; VALIDATION_FAILED on `filter` (SCIM `invalidFilter`) when it is not one.
pub fn parse(text: &str) -> AppResult<Filter> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(invalid());
    }
    let mut parser = Parser { tokens: tokenize(text)?, at: 0, depth: 0 };
    let filter = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(invalid());
    }
    Ok(filter)
}

/// The value of `name` in a JSON object, the name compared case-insensitively.
pub fn field<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

fn compare_strings(op: CompareOp, have: &str, want: &str) -> bool {
    // Strings compare case-insensitively (caseExact false), which is what
    // the attributes filtered here are, except IDs, which are lower-case UUIDs.
    let have = have.to_lowercase();
    let want = want.to_lowercase();
    match op {
        CompareOp::Eq => have == want,
        CompareOp::Ne => have != want,
        CompareOp::Co => have.contains(&want),
        CompareOp::Sw => have.starts_with(&want),
        CompareOp::Ew => have.ends_with(&want),
        CompareOp::Gt => have > want,
        CompareOp::Ge => have >= want,
        CompareOp::Lt => have < want,
        CompareOp::Le => have <= want,
    }
}

fn compare(op: CompareOp, have: Option<&Value>, want: &Value) -> bool {
    match (have, want) {
        (None | Some(Value::Null), Value::Null) => op == CompareOp::Eq,
        (None | Some(Value::Null), _) => op == CompareOp::Ne,
        (Some(Value::String(h)), Value::String(w)) => compare_strings(op, h, w),
        (Some(Value::Bool(h)), Value::Bool(w)) => match op {
            CompareOp::Eq => h == w,
            CompareOp::Ne => h != w,
            _ => false,
        },
        (Some(Value::Number(h)), Value::Number(w)) => {
            let (h, w) = (h.as_f64().unwrap_or(f64::NAN), w.as_f64().unwrap_or(f64::NAN));
            match op {
                CompareOp::Eq => h == w,
                CompareOp::Ne => h != w,
                CompareOp::Gt => h > w,
                CompareOp::Ge => h >= w,
                CompareOp::Lt => h < w,
                CompareOp::Le => h <= w,
                _ => false,
            }
        }
        // A multi-valued attribute matches when one of its values does.
        (Some(Value::Array(items)), want) => items.iter().any(|item| {
            let value = if item.is_object() { field(item, "value") } else { Some(item) };
            compare(op, value, want)
        }),
        (Some(_), _) => op == CompareOp::Ne,
    }
}

fn present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

fn lookup<'a>(object: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let top = field(object, &path.attr)?;
    match &path.sub {
        None => Some(top),
        // Several values: the callers compare each element.
        Some(_) if top.is_array() => None,
        Some(sub) => field(top, sub),
    }
}

/// Whether a JSON object (a resource, or one element of a multi-valued
/// attribute) matches the filter.
pub fn matches(filter: &Filter, object: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, object) && matches(b, object),
        Filter::Or(a, b) => matches(a, object) || matches(b, object),
        Filter::Not(a) => !matches(a, object),
        Filter::Present(path) => match (field(object, &path.attr), &path.sub) {
            (Some(Value::Array(items)), Some(sub)) => items.iter().any(|i| present(field(i, sub))),
            _ => present(lookup(object, path)),
        },
        Filter::Compare { path, op, value } => match (field(object, &path.attr), &path.sub) {
            (Some(Value::Array(items)), Some(sub)) => items.iter().any(|i| compare(*op, field(i, sub), value)),
            _ => compare(*op, lookup(object, path), value),
        },
        Filter::ValuePath { attr, filter } => match field(object, attr) {
            Some(Value::Array(items)) => items.iter().any(|item| matches(filter, item)),
            Some(item @ Value::Object(_)) => matches(filter, item),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eq(attr: &str, value: &str) -> Filter {
        Filter::Compare { path: attr_path(attr).expect("test value"), op: CompareOp::Eq, value: json!(value) }
    }

    /// R49: the filters identity providers send, parsed.
    #[test]
    fn r49_parses_the_filters_directories_send() {
        assert_eq!(
            parse(r#"userName eq "bjensen@example.com""#).expect("test value"),
            eq("userName", "bjensen@example.com")
        );
        assert_eq!(parse(r#"externalId EQ "00u1""#).expect("test value"), eq("externalId", "00u1"));
        assert_eq!(parse(r#"displayName eq "Sales \"EU\"""#).expect("test value"), eq("displayName", "Sales \"EU\""));
        assert_eq!(
            parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#).expect("test value"),
            eq("userName", "a")
        );
        let both = parse(r#"userName eq "a" and active eq true or externalId eq "x""#).expect("test value");
        assert!(matches!(both, Filter::Or(..)), "and binds tighter than or: {both:?}");
        let grouped = parse(r#"userName eq "a" and (active eq true or externalId eq "x")"#).expect("test value");
        assert!(matches!(grouped, Filter::And(..)));
        assert!(matches!(
            parse(r#"emails[type eq "work" and value co "@x"]"#).expect("test value"),
            Filter::ValuePath { .. }
        ));
        assert!(matches!(parse("not (title pr)").expect("test value"), Filter::Not(_)));
        for bad in
            ["", "userName", "userName eq", r#"userName eq "a"#, r#"userName xx "a""#, "(a pr", "a pr)", "a pr b"]
        {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse(&"(".repeat(40)).is_err(), "nesting is bounded");
    }

    /// R49: PATCH value paths select elements of multi-valued attributes.
    #[test]
    fn r49_matches_elements_and_resources() {
        let user = json!({"userName": "BJensen", "active": true, "emails": [{"type": "work", "value": "b@x.com"}]});
        assert!(matches(&parse(r#"username eq "bjensen""#).expect("test value"), &user), "case-insensitive");
        assert!(matches(&parse(r#"emails[type eq "work"]"#).expect("test value"), &user));
        assert!(!matches(&parse(r#"emails[type eq "home"]"#).expect("test value"), &user));
        assert!(matches(&parse(r#"emails.value ew "@x.com""#).expect("test value"), &user));
        assert!(matches(&parse("active eq true and emails pr").expect("test value"), &user));
        assert!(!matches(&parse("not (active eq true)").expect("test value"), &user));
        assert!(matches(&parse(r#"value eq "ABC""#).expect("test value"), &json!({"value": "abc"})));
    }
}
