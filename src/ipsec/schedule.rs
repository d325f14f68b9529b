//! When to rotate the IPsec keys: on a fixed interval counted from a **persisted** last-rotation
//! time (so a manager leader change does not restart the clock, moby#52005), and on volume,
//! before any SA can exhaust its sequence space. Time is a `Duration` since an epoch the caller
//! chooses (e.g. the Unix epoch); this module never reads a clock.

use std::time::Duration;

use super::{IpsecError, Profile};

/// Swarm's `DefaultKeyRotationInterval`.
pub const DEFAULT_ROTATION_INTERVAL: Duration = Duration::from_secs(12 * 60 * 60);

/// Volume trigger without ESN: half of the 32-bit sequence space. A key transmits for one
/// period after it becomes primary; firing at 2^31 leaves the other 2^31 numbers (about 8.4 h
/// at 71,000 packets/s, i.e. 100 MB/s of 1,400-byte packets, the rate moby#52005 describes)
/// for the manager to distribute the new key before the SA would stop sending.
pub const DOCKER_VOLUME_LIMIT: u64 = 1 << 31;

/// Volume trigger with ESN: 2^34 packets per key (Nebula's `RehandshakeAfterMessages`), far
/// below AES-GCM's per-key usage bounds and far from the 64-bit sequence limit.
pub const HARDENED_VOLUME_LIMIT: u64 = 1 << 34;

/// Why a rotation is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationReason {
    /// The interval since the last rotation has elapsed.
    Interval,
    /// An SA's sequence number reached the volume limit.
    Volume {
        /// The highest sequence number seen on a transmit SA.
        sequence: u64,
        /// The limit it reached.
        limit: u64,
    },
}

/// A rotation policy: interval and volume limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationSchedule {
    interval: Duration,
    volume_limit: u64,
}

impl RotationSchedule {
    /// The default for `profile`: 12 h and the profile's volume limit.
    pub fn for_profile(profile: Profile) -> RotationSchedule {
        let volume_limit = if profile.esn() {
            HARDENED_VOLUME_LIMIT
        } else {
            DOCKER_VOLUME_LIMIT
        };
        RotationSchedule {
            interval: DEFAULT_ROTATION_INTERVAL,
            volume_limit,
        }
    }

    /// The same policy with another interval (must be positive).
    pub fn with_interval(self, interval: Duration) -> Result<RotationSchedule, IpsecError> {
        if interval.is_zero() {
            return Err(IpsecError::InvalidInterval { interval });
        }
        Ok(RotationSchedule { interval, ..self })
    }

    /// The interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The volume limit in packets per transmit SA.
    pub fn volume_limit(&self) -> u64 {
        self.volume_limit
    }

    /// When the next interval rotation is due, from the persisted time of the last one.
    pub fn next_rotation(&self, last_rotation: Duration) -> Duration {
        last_rotation.saturating_add(self.interval)
    }

    /// How long until the next interval rotation (zero when due). For the caller's timer.
    pub fn time_until_next(&self, now: Duration, last_rotation: Duration) -> Duration {
        self.next_rotation(last_rotation).saturating_sub(now)
    }

    /// Whether to rotate now, given the persisted last-rotation time and the highest sequence
    /// number any transmit SA of the current primary key has used. Volume wins over interval.
    pub fn due(
        &self,
        now: Duration,
        last_rotation: Duration,
        highest_sequence: u64,
    ) -> Option<RotationReason> {
        if highest_sequence >= self.volume_limit {
            return Some(RotationReason::Volume {
                sequence: highest_sequence,
                limit: self.volume_limit,
            });
        }
        if now >= self.next_rotation(last_rotation) {
            return Some(RotationReason::Interval);
        }
        None
    }
}

impl Default for RotationSchedule {
    fn default() -> Self {
        RotationSchedule::for_profile(Profile::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3600;

    #[test]
    fn interval_counts_from_persisted_time_not_from_restart() {
        let s = RotationSchedule::for_profile(Profile::DockerCompatible);
        let last = Duration::from_secs(100 * H);
        // A new leader starts at 110 h with the persisted value: 2 h remain, not 12.
        let now = Duration::from_secs(110 * H);
        assert_eq!(s.time_until_next(now, last), Duration::from_secs(2 * H));
        assert_eq!(s.due(now, last, 0), None);
        assert_eq!(
            s.due(Duration::from_secs(112 * H), last, 0),
            Some(RotationReason::Interval)
        );
        // Long downtime: due immediately, once.
        assert_eq!(
            s.due(Duration::from_secs(500 * H), last, 0),
            Some(RotationReason::Interval)
        );
    }

    #[test]
    fn volume_trigger_fires_well_before_exhaustion() {
        let s = RotationSchedule::for_profile(Profile::DockerCompatible);
        assert!(s.volume_limit() <= u64::from(u32::MAX) / 2 + 1);
        assert_eq!(s.due(Duration::ZERO, Duration::ZERO, (1 << 31) - 1), None);
        assert_eq!(
            s.due(Duration::ZERO, Duration::ZERO, 1 << 31),
            Some(RotationReason::Volume {
                sequence: 1 << 31,
                limit: 1 << 31
            })
        );
        let h = RotationSchedule::for_profile(Profile::Hardened);
        assert_eq!(h.volume_limit(), 1 << 34);
    }

    #[test]
    fn configurable_interval() {
        let s = RotationSchedule::default()
            .with_interval(Duration::from_secs(H))
            .unwrap();
        assert_eq!(
            s.next_rotation(Duration::from_secs(5)),
            Duration::from_secs(H + 5)
        );
        assert_eq!(
            RotationSchedule::default().with_interval(Duration::ZERO),
            Err(IpsecError::InvalidInterval {
                interval: Duration::ZERO
            })
        );
    }
}
