//! Turns the fuzzer's bytes into arguments. Every read succeeds: past the end of the input it
//! returns zeros, so any byte string is a complete program.

/// A cursor over the fuzzer's bytes.
pub struct Input<'a> {
    data: &'a [u8],
}

/// Clock values where the accepted range ends and where 64-bit arithmetic breaks.
pub const EDGE_TIMES: [i64; 10] = [
    0,
    -1,
    59,
    1_111_111_109,
    mfa_core::MAX_UNIX_TIME,
    mfa_core::MAX_UNIX_TIME + 1,
    9_223_372_036_854_775_800,
    i64::MAX,
    i64::MIN,
    crate::T0,
];

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// One of `n` choices (`n` > 0).
    pub fn pick(&mut self, n: usize) -> usize {
        self.u8() as usize % n
    }

    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let len = (self.u8() as usize).min(max).min(self.data.len());
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        head
    }

    pub fn u64(&mut self) -> u64 {
        let mut raw = [0u8; 8];
        for b in &mut raw {
            *b = self.u8();
        }
        u64::from_le_bytes(raw)
    }

    pub fn u32(&mut self) -> u32 {
        self.u64() as u32
    }

    pub fn i64(&mut self) -> i64 {
        self.u64() as i64
    }

    /// A clock value: near `now`, an edge of the range, or any 64-bit value.
    pub fn time(&mut self, now: i64) -> i64 {
        match self.pick(4) {
            0 => now.saturating_add(i64::from(self.u8() as i8) * 30),
            1 => now.saturating_add(i64::from(self.u32() as i16) * 600),
            2 => EDGE_TIMES[self.pick(EDGE_TIMES.len())],
            _ => self.i64(),
        }
    }

    /// A small number, a bound of the documented range, or any value.
    pub fn number(&mut self, edges: &[u64]) -> u64 {
        match self.pick(3) {
            0 => u64::from(self.u8()),
            1 => edges[self.pick(edges.len())],
            _ => self.u64(),
        }
    }

    /// Text from the input: valid UTF-8, or (when `raw`) any bytes, NUL and invalid UTF-8
    /// included.
    pub fn text(&mut self, max: usize) -> Vec<u8> {
        self.bytes(max).to_vec()
    }

    /// One of `pool`, the same in upper case, or arbitrary text.
    pub fn from_pool(&mut self, pool: &[String]) -> Vec<u8> {
        match self.pick(8) {
            0..=4 if !pool.is_empty() => pool[self.pick(pool.len())].clone().into_bytes(),
            5 if !pool.is_empty() => pool[self.pick(pool.len())].to_uppercase().into_bytes(),
            6 => Vec::new(),
            _ => self.text(64),
        }
    }
}
