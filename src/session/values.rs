//! The validated values of a session: times and counts. Each carries its
//! bound in its type, so a value out of range cannot be built; text the
//! user wrote becomes one of these only through `validate`.
//! The bounds are listed in docs/session-file.md.

use std::fmt;
use std::time::Duration;

/// The longest time any field may hold: a year, in seconds.
pub const MAX_SECONDS: u64 = 365 * 86_400;

/// A time from zero to a year, to the microsecond.
///
/// Adding it to `Instant::now()` cannot overflow, and it is written back
/// as the decimal text it was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seconds(Duration);

impl Seconds {
    pub const ZERO: Seconds = Seconds(Duration::ZERO);
    pub const MAX: Seconds = Seconds(Duration::from_secs(MAX_SECONDS));

    /// A time in milliseconds: every `u32` is under 50 days, so in range.
    pub const fn from_millis(ms: u32) -> Self {
        Seconds(Duration::from_millis(ms as u64))
    }

    /// A whole number of microseconds, if it is at most a year.
    pub(super) fn from_micros(us: u64) -> Option<Self> {
        (us <= MAX_SECONDS * 1_000_000).then(|| Seconds(Duration::from_micros(us)))
    }

    pub const fn get(self) -> Duration {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl From<Seconds> for Duration {
    fn from(s: Seconds) -> Duration {
        s.0
    }
}

/// Exact decimal seconds: `5`, `0.5`, `0.000001`.
impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let micros = self.0.subsec_micros();
        if micros == 0 {
            write!(f, "{secs}")
        } else {
            let frac = format!("{micros:06}");
            write!(f, "{secs}.{}", frac.trim_end_matches('0'))
        }
    }
}

/// A whole number from `LO` to `HI`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count<const LO: u32, const HI: u32>(u32);

/// Processes a task starts.
pub type Instances = Count<1, 10_000>;
/// Processes a pool runs at once.
pub type Workers = Count<1, 4096>;
/// Restarts of a task's process before Proctor gives up.
pub type MaxRestarts = Count<0, 1_000_000>;
/// Extra attempts for a pool's failing input.
pub type Retries = Count<0, 1000>;

impl<const LO: u32, const HI: u32> Count<LO, HI> {
    pub const LOW: Self = Count(LO);
    pub const HIGH: Self = Count(HI);

    /// `n`, or the message `validate` gives for a number out of range.
    pub fn new(n: u64) -> Result<Self, String> {
        if (LO as u64..=HI as u64).contains(&n) {
            Ok(Count(n as u32))
        } else {
            Err(Self::out_of_range(&n.to_string()))
        }
    }

    /// `n` brought into range.
    pub fn saturating(n: u64) -> Self {
        Count(n.clamp(LO as u64, HI as u64) as u32)
    }

    /// A constant known to be in range (checked at compile time where it
    /// is used in a `const`).
    pub(super) const fn of(n: u32) -> Self {
        assert!(n >= LO && n <= HI);
        Count(n)
    }

    pub const fn get(self) -> u32 {
        self.0
    }

    pub(super) fn out_of_range(written: &str) -> String {
        format!("{written} is out of range: use {LO} to {HI}")
    }

    pub(super) fn not_whole(written: &str) -> String {
        format!("`{written}` is not a whole number ({LO} to {HI})")
    }
}

impl<const LO: u32, const HI: u32> fmt::Display for Count<LO, HI> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_print_as_exact_decimals() {
        assert_eq!(Seconds::from_millis(500).to_string(), "0.5");
        assert_eq!(Seconds::from_millis(30_000).to_string(), "30");
        assert_eq!(Seconds::from_micros(1).unwrap().to_string(), "0.000001");
        assert_eq!(Seconds::MAX.to_string(), MAX_SECONDS.to_string());
        assert!(Seconds::from_micros(MAX_SECONDS * 1_000_000 + 1).is_none());
    }

    #[test]
    fn counts_keep_their_bounds() {
        assert_eq!(Workers::new(4096).unwrap().get(), 4096);
        assert_eq!(
            Workers::new(4097).unwrap_err(),
            "4097 is out of range: use 1 to 4096"
        );
        assert!(Instances::new(0).is_err());
        assert_eq!(Workers::saturating(0).get(), 1);
        assert_eq!(Workers::saturating(u64::MAX).get(), 4096);
        assert_eq!(MaxRestarts::of(3).get(), 3);
    }
}
