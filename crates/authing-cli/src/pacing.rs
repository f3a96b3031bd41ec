//! When each request may start: one limit on the requests in flight and one send
//! rate, shared by every call the import makes (imports, lookups, read-backs).
//!
//! The rate is adaptive, after the AWS SDKs' adaptive retry mode: it starts at
//! `--max-rps` (or unlimited), and when Authing throttles (HTTP or statusCode 429)
//! it drops to 70 % of what was being sent, for every request, not just the one
//! refused. It then grows back along a cubic curve: quickly at first, flattening
//! as it nears the rate that was throttled, then probing above it. Against a fixed
//! limit (Authing's 300 requests per second per user pool) the rate settles just
//! under the limit and stays there most of the time. It never exceeds `--max-rps`,
//! and while throttled it never runs ahead of twice the rate actually sent (so a
//! pause in sending does not turn into a burst).
//!
//! Unlike the AWS SDKs, one 429 is not enough: the rate drops only while at least
//! [`THROTTLED_SHARE`] of recent attempts were throttled. A rate limit that is
//! exceeded throttles a growing share of the requests; a few 429s scattered at
//! random (a gateway's hiccups, an injected fault) would otherwise ratchet the rate
//! down to nothing, since each decrease comes faster than the recovery.
//!
//! Requests are spaced evenly rather than in bursts, so an import never takes a
//! burst of the user pool's shared budget away from live sign-ins.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// Multiplicative decrease on a throttle (the AWS SDKs' `beta`).
const BETA: f64 = 0.7;
/// Scale of the cubic growth, in requests per second per second³ (AWS's `C`).
const CUBIC_C: f64 = 0.4;
/// The rate never drops below this many requests per second.
const MIN_RPS: f64 = 0.5;
/// Throttles within this long of a decrease answer requests sent before it: they
/// do not decrease the rate again.
const COOLDOWN: Duration = Duration::from_millis(300);
/// The send rate is measured over windows of this length.
const METER_WINDOW: Duration = Duration::from_millis(250);
/// The share of recent attempts that must have been throttled for a 429 to slow
/// the rate down.
pub const THROTTLED_SHARE: f64 = 0.1;
/// Weight of one attempt in the throttled share (about the last 50 attempts count).
const SHARE_WEIGHT: f64 = 0.02;

/// The concurrency limit and the adaptive rate.
#[derive(Debug)]
pub struct Pacer {
    in_flight: Semaphore,
    rate: Mutex<Rate>,
}

impl Pacer {
    /// `concurrency` requests in flight at most; `max_rps` requests per second at
    /// most (0: no cap until Authing throttles).
    pub fn new(concurrency: usize, max_rps: u32) -> Self {
        let now = Instant::now();
        Self {
            in_flight: Semaphore::new(concurrency.max(1)),
            rate: Mutex::new(Rate {
                cap: (max_rps > 0).then_some(f64::from(max_rps)),
                throttled: None,
                next: now,
                meter: Meter {
                    started: now,
                    count: 0,
                    rate: None,
                },
                share: 0.0,
            }),
        }
    }

    /// Waits for a free slot in flight, then for this request's turn; the request
    /// may go once this returns and counts as in flight until the permit is dropped.
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        let permit = self
            .in_flight
            .acquire()
            .await
            .expect("the pacer's semaphore is never closed");
        let slot = self.rate().slot(Instant::now());
        tokio::time::sleep_until(slot).await;
        permit
    }

    /// How an attempt ended: throttled or not. Enough throttling slows everyone down.
    pub fn record(&self, throttled: bool) {
        let mut rate = self.rate();
        rate.share += SHARE_WEIGHT * (f64::from(u8::from(throttled)) - rate.share);
        if throttled && rate.share >= THROTTLED_SHARE {
            rate.throttled(Instant::now());
        }
    }

    /// The rate requests are sent at now, in requests per second (`None`: unlimited).
    pub fn current_rps(&self) -> Option<f64> {
        self.rate().current(Instant::now())
    }

    fn rate(&self) -> std::sync::MutexGuard<'_, Rate> {
        self.rate.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug)]
struct Rate {
    /// `--max-rps`.
    cap: Option<f64>,
    /// Set once Authing has throttled: the cubic curve since the last decrease.
    throttled: Option<Cubic>,
    /// The earliest start of the next request.
    next: Instant,
    meter: Meter,
    /// Moving share of recent attempts that were throttled.
    share: f64,
}

#[derive(Debug, Clone, Copy)]
struct Cubic {
    /// When the rate was last decreased.
    since: Instant,
    /// The rate that was throttled.
    w_max: f64,
}

impl Cubic {
    /// `W(t) = C (t - K)³ + W_max`, with `K` such that `W(0) = BETA · W_max`.
    fn at(&self, now: Instant) -> f64 {
        let k = (self.w_max * (1.0 - BETA) / CUBIC_C).cbrt();
        let t = now.saturating_duration_since(self.since).as_secs_f64();
        (CUBIC_C * (t - k).powi(3) + self.w_max).max(MIN_RPS)
    }
}

impl Rate {
    fn current(&mut self, now: Instant) -> Option<f64> {
        let adaptive = self.throttled.map(|c| {
            let measured = self.meter.rate(now).unwrap_or(f64::INFINITY);
            c.at(now).min(2.0 * measured.max(MIN_RPS))
        });
        match (adaptive, self.cap) {
            (Some(a), Some(cap)) => Some(a.min(cap)),
            (a, cap) => a.or(cap),
        }
    }

    /// Reserves the next start time.
    fn slot(&mut self, now: Instant) -> Instant {
        let rate = self.current(now);
        self.meter.count(now);
        let Some(rate) = rate else {
            return now;
        };
        let slot = self.next.max(now);
        self.next = slot + Duration::from_secs_f64(1.0 / rate.max(MIN_RPS));
        slot
    }

    fn throttled(&mut self, now: Instant) {
        if self
            .throttled
            .is_some_and(|c| now.saturating_duration_since(c.since) < COOLDOWN)
        {
            return;
        }
        let sending = match (self.current(now), self.meter.rate(now)) {
            (Some(rate), Some(measured)) => rate.min(measured),
            (Some(rate), None) => rate,
            (None, measured) => measured.unwrap_or(MIN_RPS / BETA),
        };
        let w_max = sending.max(MIN_RPS);
        self.throttled = Some(Cubic { since: now, w_max });
        // Requests already spaced at the old rate wait for the new one.
        self.next = self.next.max(now) + Duration::from_secs_f64(1.0 / (w_max * BETA));
    }
}

/// The rate requests were actually started at, over the last complete window.
#[derive(Debug)]
struct Meter {
    started: Instant,
    count: u32,
    rate: Option<f64>,
}

impl Meter {
    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed >= METER_WINDOW {
            let measured = f64::from(self.count) / elapsed.as_secs_f64();
            self.rate = Some(match self.rate {
                Some(old) => 0.5 * old + 0.5 * measured,
                None => measured,
            });
            self.started = now;
            self.count = 0;
        }
    }

    fn count(&mut self, now: Instant) {
        self.roll(now);
        self.count += 1;
    }

    fn rate(&mut self, now: Instant) -> Option<f64> {
        self.roll(now);
        self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts `n` requests one after another; returns how long that took.
    async fn send(pacer: &Pacer, n: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            drop(pacer.acquire().await);
        }
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_evenly_at_the_cap() {
        let pacer = Pacer::new(4, 10);
        // 11 requests at 10/s: the first at 0, the last at 1 s.
        assert_eq!(send(&pacer, 11).await, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_means_unlimited_until_throttled() {
        let pacer = Pacer::new(4, 0);
        assert_eq!(send(&pacer, 1000).await, Duration::ZERO);
        assert_eq!(pacer.current_rps(), None);
    }

    /// Records `n` attempts, throttled or not.
    fn record(pacer: &Pacer, n: usize, throttled: bool) {
        for _ in 0..n {
            pacer.record(throttled);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_slows_everyone_then_the_rate_recovers() {
        let pacer = Pacer::new(4, 100);
        send(&pacer, 101).await; // a second at 100/s: the meter has measured it
        record(&pacer, 50, false);
        record(&pacer, 6, true); // a share over 10 %: slow down
        let after = pacer.current_rps().unwrap();
        assert!((69.0..=71.0).contains(&after), "{after}");
        // More throttles right away answer requests sent before the decrease.
        record(&pacer, 5, true);
        assert_eq!(pacer.current_rps().unwrap().round(), after.round());
        // It grows back, and never above the cap.
        send(&pacer, 600).await;
        let later = pacer.current_rps().unwrap();
        assert!(later > after && later <= 100.0, "{later}");
    }

    #[tokio::test(start_paused = true)]
    async fn scattered_throttles_do_not_ratchet_the_rate_down() {
        // One attempt in 25 throttled at random, whatever the rate.
        let pacer = Pacer::new(4, 200);
        for i in 0..6000u32 {
            drop(pacer.acquire().await);
            pacer.record(i % 25 == 0);
        }
        assert_eq!(pacer.current_rps(), Some(200.0));
    }

    #[tokio::test(start_paused = true)]
    async fn repeated_throttles_converge_under_a_limit() {
        // A server that allows 300/s: throttle whenever we send faster.
        let pacer = Pacer::new(8, 0);
        let mut sent = 0u32;
        let start = Instant::now();
        let mut last_second = Vec::new();
        while start.elapsed() < Duration::from_secs(30) {
            drop(pacer.acquire().await);
            sent += 1;
            let now = start.elapsed();
            last_second.retain(|t: &Duration| now - *t < Duration::from_secs(1));
            last_second.push(now);
            pacer.record(last_second.len() > 300);
        }
        let rate = f64::from(sent) / 30.0;
        // Unlimited at first (a burst the server throttles), then near the limit.
        assert!(rate > 200.0, "{rate}");
        let now = pacer.current_rps().unwrap();
        assert!((150.0..=400.0).contains(&now), "{now}");
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_concurrency_in_flight() {
        let pacer = std::sync::Arc::new(Pacer::new(2, 0));
        let held = (pacer.acquire().await, pacer.acquire().await);
        let third = tokio::time::timeout(Duration::from_secs(5), pacer.acquire()).await;
        assert!(third.is_err(), "a third request waited");
        drop(held);
        let third = tokio::time::timeout(Duration::from_secs(5), pacer.acquire()).await;
        assert!(third.is_ok());
    }
}
