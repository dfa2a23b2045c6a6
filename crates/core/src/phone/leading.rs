//! Matching the first one or two digits of a number against a format's leading-digits
//! pattern, as libphonenumber-js's as-you-type formatter does (its `PatternParser` and
//! `PatternMatcher`): with so few digits typed a prefix match of the regular expression
//! says little, so the pattern is read as a tree of alternatives and character sets and
//! the digits must follow one of its paths — or run past its end ("overflow"), which also
//! counts as a match.
//!
//! Only `(?:…)`, `|`, `[…]` (with ranges) and plain characters are operators; anything
//! else (`\d`, `{2}`) is taken as literal characters, as libphonenumber-js does, and a
//! pattern it cannot read (a capturing group, `?`) is an error, which the caller treats as
//! "matches".

/// A parsed leading-digits pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Char(u8),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    Set(Vec<u8>),
}

/// The outcome of matching some digits against a (sub)pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The digits matched this many characters of the input.
    Match(usize),
    /// The input ended inside the pattern.
    Partial,
    /// The input went on past the pattern's end.
    Overflow,
}

/// Does `digits` (1 or 2 ASCII digits) fit `pattern` as libphonenumber-js's
/// `new PatternMatcher(pattern).match(digits, { allowOverflow: true }) !== undefined`,
/// with its errors (unreadable pattern, empty input) counted as a match?
pub(super) fn matches_leading(pattern: &str, digits: &str) -> bool {
    if digits.is_empty() {
        return true;
    }
    match parse(pattern.as_bytes()) {
        Some(tree) => match_node(digits.as_bytes(), &tree, true).is_some(),
        None => true,
    }
}

struct Context {
    /// A `(?:…)` group (or the whole pattern) rather than a `[…]` set.
    or: bool,
    instructions: Vec<Node>,
    branches: Option<Vec<Node>>,
}

fn single_or_seq(mut nodes: Vec<Node>) -> Node {
    if nodes.len() == 1 {
        nodes.pop().unwrap_or(Node::Seq(Vec::new()))
    } else {
        Node::Seq(nodes)
    }
}

fn parse(pattern: &[u8]) -> Option<Node> {
    let mut stack = vec![Context {
        or: true,
        instructions: Vec::new(),
        branches: None,
    }];
    parse_into(pattern, &mut stack)?;
    let [top] = <[Context; 1]>::try_from(stack).ok()?;
    match top.branches {
        Some(mut branches) => {
            branches.push(single_or_seq(top.instructions));
            Some(Node::Alt(branches))
        }
        None if top.instructions.is_empty() => None,
        None => Some(single_or_seq(top.instructions)),
    }
}

/// The next operator: `|`, `(?:`, `)`, `[` or `]`, with its position and length.
fn next_operator(pattern: &[u8]) -> Option<(usize, usize)> {
    pattern.iter().enumerate().find_map(|(i, &c)| match c {
        b'|' | b')' | b'[' | b']' => Some((i, 1)),
        b'(' if pattern[i..].starts_with(b"(?:") => Some((i, 3)),
        _ => None,
    })
}

fn parse_into(pattern: &[u8], stack: &mut Vec<Context>) -> Option<()> {
    // Iterative over the operators of this text (libphonenumber-js recurses on the rest).
    let mut rest = pattern;
    loop {
        if rest.is_empty() {
            return Some(());
        }
        let Some((at, len)) = next_operator(rest) else {
            if rest
                .iter()
                .any(|c| matches!(c, b'(' | b')' | b'[' | b']' | b'?' | b':' | b'|'))
            {
                return None;
            }
            let ctx = stack.last_mut()?;
            ctx.instructions.extend(rest.iter().map(|&c| Node::Char(c)));
            return Some(());
        };
        let before = &rest[..at];
        let operator = &rest[at..at + len];
        match operator {
            b"(?:" => {
                parse_text(before, stack)?;
                stack.push(Context {
                    or: true,
                    instructions: Vec::new(),
                    branches: Some(Vec::new()),
                });
            }
            b")" => {
                if !stack.last()?.or {
                    return None;
                }
                parse_text(before, stack)?;
                let ctx = stack.pop()?;
                if ctx.instructions.is_empty() || stack.is_empty() {
                    return None;
                }
                let mut branches = ctx.branches?;
                branches.push(single_or_seq(ctx.instructions));
                stack.last_mut()?.instructions.push(Node::Alt(branches));
            }
            b"|" => {
                if !stack.last()?.or {
                    return None;
                }
                parse_text(before, stack)?;
                let depth = stack.len();
                let ctx = stack.last_mut()?;
                if ctx.branches.is_none() {
                    if depth == 1 {
                        ctx.branches = Some(Vec::new());
                    } else {
                        return None;
                    }
                }
                let instructions = std::mem::take(&mut ctx.instructions);
                ctx.branches.as_mut()?.push(single_or_seq(instructions));
            }
            b"[" => {
                parse_text(before, stack)?;
                stack.push(Context {
                    or: false,
                    instructions: Vec::new(),
                    branches: None,
                });
            }
            _ => {
                // `]`: what came before is the set's content.
                if stack.last()?.or {
                    return None;
                }
                stack.pop();
                let set = parse_set(before)?;
                stack.last_mut()?.instructions.push(Node::Set(set));
            }
        }
        rest = &rest[at + len..];
    }
}

/// Text before an operator, which holds no operator itself.
fn parse_text(text: &[u8], stack: &mut Vec<Context>) -> Option<()> {
    if text.is_empty() {
        Some(())
    } else {
        parse_into(text, stack)
    }
}

fn parse_set(text: &[u8]) -> Option<Vec<u8>> {
    let mut values = Vec::new();
    for (i, &c) in text.iter().enumerate() {
        if c == b'-' {
            if i == 0 || i == text.len() - 1 {
                return None;
            }
            // The range's ends are pushed as members themselves; this adds what is between.
            for v in text[i - 1].saturating_add(1)..text[i + 1] {
                values.push(v);
            }
        } else {
            values.push(c);
        }
    }
    Some(values)
}

/// One character matched by a `Char` or `Set` node (`chars` not empty, its first fits):
/// the whole input when it was the last character, else too much input for the last node.
fn one_character(chars: &[u8], last: bool) -> Outcome {
    if chars.len() > 1 && last {
        Outcome::Overflow
    } else {
        Outcome::Match(1)
    }
}

fn match_node(chars: &[u8], node: &Node, last: bool) -> Option<Outcome> {
    match node {
        Node::Char(c) => {
            let Some(first) = chars.first() else {
                return Some(Outcome::Partial);
            };
            (first == c).then(|| one_character(chars, last))
        }
        Node::Seq(items) => {
            let mut rest = chars;
            for (i, item) in items.iter().enumerate() {
                let is_last = i + 1 == items.len();
                match match_node(rest, item, last && is_last)? {
                    Outcome::Overflow => return Some(Outcome::Overflow),
                    Outcome::Partial => return Some(Outcome::Partial),
                    Outcome::Match(n) => {
                        rest = &rest[n.min(rest.len())..];
                        if rest.is_empty() {
                            return Some(if is_last {
                                Outcome::Match(chars.len())
                            } else {
                                Outcome::Partial
                            });
                        }
                    }
                }
            }
            if last {
                Some(Outcome::Overflow)
            } else {
                Some(Outcome::Match(chars.len() - rest.len()))
            }
        }
        Node::Alt(branches) => {
            let mut partial = false;
            for branch in branches {
                match match_node(chars, branch, last) {
                    Some(Outcome::Overflow) => return Some(Outcome::Overflow),
                    Some(Outcome::Match(n)) => return Some(Outcome::Match(n)),
                    Some(Outcome::Partial) => partial = true,
                    None => {}
                }
            }
            partial.then_some(Outcome::Partial)
        }
        Node::Set(members) => {
            let first = chars.first()?;
            members.contains(first).then(|| one_character(chars, last))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_or_two_digits_against_a_pattern() {
        // libphonenumber-js's own examples for its PatternMatcher.
        assert!(matches_leading("[1-9]", "5"));
        assert!(!matches_leading("[1-9]", "0"));
        assert!(matches_leading("1[2-4]", "1"));
        assert!(matches_leading("1[2-4]", "13"));
        assert!(!matches_leading("1[2-4]", "15"));
        assert!(matches_leading("(?:12|34)5", "3"));
        assert!(!matches_leading("(?:12|34)5", "31"));
        // Running past the pattern's end counts.
        assert!(matches_leading("4", "45"));
        assert!(matches_leading("8(?:0|1)", "80"));
        // Unreadable patterns count as a match, as libphonenumber-js catches its error.
        assert!(matches_leading("(1)", "2"));
        assert!(matches_leading("1?", "2"));
    }
}
