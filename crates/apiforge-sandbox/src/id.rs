//! Sandbox ids: UUIDv7-shaped (48 bits of Unix milliseconds, then a process-wide counter and
//! random bits from `getrandom`), so they sort by start time and never repeat.

use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::SandboxId;

static COUNTER: AtomicU16 = AtomicU16::new(0);

pub(crate) fn new_id() -> SandboxId {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let count = COUNTER.fetch_add(1, Ordering::Relaxed) & 0x0fff;
    let mut random = [0u8; 8];
    fill_random(&mut random);
    let random = u64::from_le_bytes(random);
    SandboxId(format(millis, count, random))
}

fn format(millis: u64, count: u16, random: u64) -> String {
    let variant_and_random = (random & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
        (millis >> 16) & 0xffff_ffff,
        millis & 0xffff,
        count,
        variant_and_random >> 48,
        variant_and_random & 0xffff_ffff_ffff,
    )
}

fn fill_random(buf: &mut [u8]) {
    // SAFETY: the pointer and length describe `buf`, which lives for the whole call.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if usize::try_from(n).ok() != Some(buf.len()) {
        // getrandom cannot fail for 8 bytes after boot; if it somehow does, the counter and
        // the clock still make the id unique within this process.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        for (b, n) in buf.iter_mut().zip(nanos.to_le_bytes().iter().cycle()) {
            *b ^= n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_uuid_v7_shape() {
        let id = format(0x0123_4567_89ab, 5, 0);
        assert_eq!(id, "01234567-89ab-7005-8000-000000000000");
    }

    #[test]
    fn ids_are_unique_and_ordered_by_time() {
        let ids: Vec<_> = (0..1000).map(|_| new_id()).collect();
        let unique: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        assert_eq!(ids[0].as_str().len(), 36);
    }
}
