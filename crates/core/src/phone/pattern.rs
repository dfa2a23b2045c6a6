//! A tiny backtracking matcher for the regular-expression subset that libphonenumber's
//! metadata uses: digits, `\d`, `[…]` classes with ranges, `(?:…)` and capturing `(…)`
//! groups, `|`, `?`, `*`, `+`, `{n}`, `{n,m}` and the end anchor `$`.
//!
//! A general regex crate would cost hundreds of kilobytes of wasm; phone patterns only ever
//! see ASCII digits, so a character class is a 10-bit set and a pattern compiles to a few
//! dozen instructions. Semantics are those of JavaScript / Java regexes (ordered
//! alternation, greedy quantifiers), which is what libphonenumber's patterns are written for.

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    prog: Vec<Inst>,
    groups: usize,
}

#[derive(Debug, Clone, Copy)]
enum Inst {
    /// One digit out of the set (bit d set = digit d allowed).
    Digits(u16),
    /// Try `.0` first, then `.1`.
    Split(u32, u32),
    Jump(u32),
    /// Record the input position in capture slot n.
    Save(u32),
    AssertEnd,
    Match,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

enum Node {
    Digits(u16),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Group(Box<Node>, Option<u32>),
    Repeat(Box<Node>, u32, Option<u32>),
    End,
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    groups: u32,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn err<T>(&self, what: &str) -> Result<T, PatternError> {
        Err(PatternError(format!("{what} at offset {}", self.pos)))
    }

    fn alt(&mut self) -> Result<Node, PatternError> {
        let mut branches = vec![self.concat()?];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Concat(Vec::new()))
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, PatternError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.quantifier(atom)?);
        }
        Ok(Node::Concat(items))
    }

    fn number(&mut self) -> Result<u32, PatternError> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.src[start..self.pos])
            .ok()
            .and_then(|s| s.parse().ok())
            .map_or_else(|| self.err("expected a number"), Ok)
    }

    fn quantifier(&mut self, atom: Node) -> Result<Node, PatternError> {
        let (min, max) = match self.peek() {
            Some(b'?') => (0, Some(1)),
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'{') => {
                self.pos += 1;
                let min = self.number()?;
                let max = if self.peek() == Some(b',') {
                    self.pos += 1;
                    if self.peek() == Some(b'}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if self.peek() != Some(b'}') {
                    return self.err("expected '}'");
                }
                if max.is_some_and(|max| max < min) {
                    return self.err("bad repetition range");
                }
                self.pos += 1;
                return Ok(Node::Repeat(Box::new(atom), min, max));
            }
            _ => return Ok(atom),
        };
        self.pos += 1;
        Ok(Node::Repeat(Box::new(atom), min, max))
    }

    fn atom(&mut self) -> Result<Node, PatternError> {
        let Some(c) = self.peek() else {
            return self.err("unexpected end");
        };
        self.pos += 1;
        match c {
            b'0'..=b'9' => Ok(Node::Digits(1 << (c - b'0'))),
            b'\\' => match self.peek() {
                Some(b'd') => {
                    self.pos += 1;
                    Ok(Node::Digits(0x3ff))
                }
                _ => self.err("unsupported escape"),
            },
            b'$' => Ok(Node::End),
            b'[' => {
                let mut set = 0u16;
                loop {
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        Some(lo @ b'0'..=b'9') => {
                            self.pos += 1;
                            let hi = if self.peek() == Some(b'-') {
                                self.pos += 1;
                                match self.peek() {
                                    Some(hi @ b'0'..=b'9') if hi >= lo => {
                                        self.pos += 1;
                                        hi
                                    }
                                    _ => return self.err("bad class range"),
                                }
                            } else {
                                lo
                            };
                            for d in lo..=hi {
                                set |= 1 << (d - b'0');
                            }
                        }
                        Some(b'\\') if self.src.get(self.pos + 1) == Some(&b'd') => {
                            self.pos += 2;
                            set = 0x3ff;
                        }
                        _ => return self.err("unsupported class member"),
                    }
                }
                Ok(Node::Digits(set))
            }
            b'(' => {
                let capture = if self.src[self.pos..].starts_with(b"?:") {
                    self.pos += 2;
                    None
                } else {
                    self.groups += 1;
                    Some(self.groups)
                };
                let inner = self.alt()?;
                if self.peek() != Some(b')') {
                    return self.err("expected ')'");
                }
                self.pos += 1;
                Ok(Node::Group(Box::new(inner), capture))
            }
            _ => {
                self.pos -= 1;
                self.err("unsupported syntax")
            }
        }
    }
}

struct Compiler {
    prog: Vec<Inst>,
}

impl Compiler {
    fn pc(&self) -> u32 {
        self.prog.len() as u32
    }

    fn emit(&mut self, node: &Node) {
        match node {
            Node::Digits(set) => self.prog.push(Inst::Digits(*set)),
            Node::End => self.prog.push(Inst::AssertEnd),
            Node::Concat(items) => items.iter().for_each(|n| self.emit(n)),
            Node::Group(inner, None) => self.emit(inner),
            Node::Group(inner, Some(n)) => {
                self.prog.push(Inst::Save(2 * n));
                self.emit(inner);
                self.prog.push(Inst::Save(2 * n + 1));
            }
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    if i + 1 < branches.len() {
                        let split = self.pc() as usize;
                        self.prog.push(Inst::Split(0, 0));
                        self.emit(branch);
                        jumps.push(self.pc() as usize);
                        self.prog.push(Inst::Jump(0));
                        self.prog[split] = Inst::Split(split as u32 + 1, self.pc());
                    } else {
                        self.emit(branch);
                    }
                }
                let end = self.pc();
                for j in jumps {
                    self.prog[j] = Inst::Jump(end);
                }
            }
            Node::Repeat(inner, min, max) => {
                for _ in 0..*min {
                    self.emit(inner);
                }
                match max {
                    Some(max) => {
                        // Greedy optional copies: each Split prefers one more copy.
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.pc() as usize);
                            self.prog.push(Inst::Split(0, 0));
                            self.emit(inner);
                        }
                        let end = self.pc();
                        for s in splits {
                            self.prog[s] = Inst::Split(s as u32 + 1, end);
                        }
                    }
                    None => {
                        let split = self.pc();
                        self.prog.push(Inst::Split(0, 0));
                        self.emit(inner);
                        self.prog.push(Inst::Jump(split));
                        self.prog[split as usize] = Inst::Split(split + 1, self.pc());
                    }
                }
            }
        }
    }
}

/// The result of a prefix match: where it ended and the capture groups' spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captures {
    /// Where the match started (0 for a prefix match).
    pub start: usize,
    pub end: usize,
    slots: Vec<Option<usize>>,
}

impl Captures {
    /// How many capture groups the pattern has.
    pub fn group_count(&self) -> usize {
        self.slots.len() / 2 - 1
    }

    /// Group `n` (1-based), when it took part in the match.
    pub fn group<'t>(&self, text: &'t str, n: usize) -> Option<&'t str> {
        let start = (*self.slots.get(2 * n)?)?;
        let end = (*self.slots.get(2 * n + 1)?)?;
        text.get(start..end)
    }
}

impl Pattern {
    pub fn new(src: &str) -> Result<Self, PatternError> {
        let mut parser = Parser {
            src: src.as_bytes(),
            pos: 0,
            groups: 0,
        };
        let ast = parser.alt()?;
        if parser.pos != parser.src.len() {
            return parser.err("unbalanced ')'");
        }
        let mut compiler = Compiler { prog: Vec::new() };
        compiler.emit(&ast);
        compiler.prog.push(Inst::Match);
        Ok(Pattern {
            prog: compiler.prog,
            groups: parser.groups as usize,
        })
    }

    /// Does the pattern match all of `digits`?
    pub fn matches_entirely(&self, digits: &str) -> bool {
        let mut slots = Vec::new();
        self.run(digits.as_bytes(), 0, true, &mut slots).is_some()
    }

    /// Match at the start of `digits` (JavaScript's `^(?:pattern)`), with captures.
    pub fn match_prefix(&self, digits: &str) -> Option<Captures> {
        let mut slots = vec![None; 2 * (self.groups + 1)];
        let end = self.run(digits.as_bytes(), 0, false, &mut slots)?;
        Some(Captures {
            start: 0,
            end,
            slots,
        })
    }

    /// The leftmost match in `text` (JavaScript's `text.match(pattern)`), with captures.
    /// Characters other than ASCII digits match nothing.
    pub fn search(&self, text: &str) -> Option<Captures> {
        (0..=text.len()).find_map(|start| {
            let mut slots = vec![None; 2 * (self.groups + 1)];
            let end = self.run(text.as_bytes(), start, false, &mut slots)?;
            Some(Captures { start, end, slots })
        })
    }

    /// Backtracking in priority order, so the first match found is the one a JavaScript
    /// regex would report. Inputs are at most a few dozen digits.
    fn run(
        &self,
        input: &[u8],
        start: usize,
        full: bool,
        slots: &mut [Option<usize>],
    ) -> Option<usize> {
        enum Frame {
            Try(u32, usize),
            Restore(usize, Option<usize>),
        }
        let mut stack = vec![Frame::Try(0, start)];
        while let Some(frame) = stack.pop() {
            let (mut pc, mut pos) = match frame {
                Frame::Try(pc, pos) => (pc, pos),
                Frame::Restore(slot, old) => {
                    slots[slot] = old;
                    continue;
                }
            };
            loop {
                match self.prog[pc as usize] {
                    Inst::Digits(set) => match input.get(pos) {
                        Some(&c @ b'0'..=b'9') if set & (1 << (c - b'0')) != 0 => {
                            pc += 1;
                            pos += 1;
                        }
                        _ => break,
                    },
                    Inst::Split(first, second) => {
                        stack.push(Frame::Try(second, pos));
                        pc = first;
                    }
                    Inst::Jump(to) => pc = to,
                    Inst::Save(slot) => {
                        let slot = slot as usize;
                        if slot < slots.len() {
                            stack.push(Frame::Restore(slot, slots[slot]));
                            slots[slot] = Some(pos);
                        }
                        pc += 1;
                    }
                    Inst::AssertEnd => {
                        if pos != input.len() {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::Match => {
                        if full && pos != input.len() {
                            break;
                        }
                        return Some(pos);
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(p: &str, s: &str) -> bool {
        Pattern::new(p).unwrap().matches_entirely(s)
    }

    #[test]
    fn classes_groups_and_quantifiers() {
        assert!(full("[1-9]\\d{8}", "612345678"));
        assert!(!full("[1-9]\\d{8}", "012345678"));
        assert!(!full("[1-9]\\d{8}", "61234567"));
        assert!(full(
            "(?:6(?:[0-24-8]\\d|3[0-8]|9[589])|7[3-9]\\d)\\d{6}",
            "612345678"
        ));
        assert!(!full(
            "(?:6(?:[0-24-8]\\d|3[0-8]|9[589])|7[3-9]\\d)\\d{6}",
            "639123456"
        ));
        assert!(full("8\\d{6,8}", "8123456"));
        assert!(full("8\\d{6,8}", "812345678"));
        assert!(!full("8\\d{6,8}", "8123456789"));
        assert!(full("1?2", "2") && full("1?2", "12"));
        assert!(full("12*3", "13") && full("12*3", "12223") && !full("12+3", "13"));
        assert!(full("", "") && !full("", "1"));
        assert!(full("[13-5]", "4") && !full("[13-5]", "2"));
    }

    #[test]
    fn prefix_match_with_captures_and_anchor() {
        // Antigua's national prefix for parsing: a 7-digit local number or a leading 1.
        let p = Pattern::new("([457]\\d{6})$|1").unwrap();
        let m = p.match_prefix("4601234").unwrap();
        assert_eq!(m.end, 7);
        assert_eq!(m.group("4601234", 1), Some("4601234"));
        let m = p.match_prefix("12684601234").unwrap();
        assert_eq!((m.end, m.group("12684601234", 1)), (1, None));
        assert!(p.match_prefix("2684601234").is_none());
        // Ordered alternation: the first branch that leads to a match wins.
        let p = Pattern::new("0(1\\d)?").unwrap();
        let m = p.match_prefix("0123").unwrap();
        assert_eq!((m.end, m.group("0123", 1)), (3, Some("12")));
    }

    #[test]
    fn rejects_what_it_does_not_implement() {
        for bad in ["a", "[^1]", "(1", "1)", "\\w", "1{3,2}", "[1-", "{2}"] {
            assert!(Pattern::new(bad).is_err(), "{bad}");
        }
    }
}
