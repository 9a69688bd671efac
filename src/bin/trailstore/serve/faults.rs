//! A scripted fault plan for `trailstore serve`, to test pull and push against a server that
//! misbehaves the way real ones do.
//!
//! Off unless the server is started with `--faults PLAN.json` *and* the environment variable
//! `TRAILSTORE_ENABLE_FAULTS=yes`; the server then says so loudly. A plan:
//!
//! ```json
//! {"seed": 7, "rules": [
//!   {"action": "drop_after", "routes": ["add_", "update_"], "rate": 0.1},
//!   {"action": "rate_limit", "rate": 0.3, "retry_after": 1},
//!   {"action": "error", "status": 503, "every": 10, "limit": 3},
//!   {"action": "delay", "delay_ms": 20},
//!   {"action": "rate_limit", "per_minute": 180}
//! ]}
//! ```
//!
//! Actions: `drop_after` applies the request and then breaks the connection before the answer;
//! `drop_before` breaks it without applying; `rate_limit` answers 429 with `Retry-After`;
//! `error` answers a 5xx (default 500) without applying; `delay` waits, then goes on. A rule
//! matches requests whose method starts with one of `routes` (all when empty), optionally only
//! `writes` or `reads`; it fires on every `every`-th match or with probability `rate`
//! (seeded, so runs repeat), at most `limit` times. A `rate_limit` with `per_minute` is TestRail
//! Cloud's limit instead: a sliding window of the last 60 seconds, answering 429 with the seconds
//! until the oldest admitted request leaves it. The first firing rule other than `delay`
//! decides. `GET index.php?/api/v2/x_fault_stats` reports what fired, and how many requests
//! arrived before a `Retry-After` had passed.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

const MINUTE: Duration = Duration::from_secs(60);

/// The environment variable that must say `yes` for a fault plan to be used.
pub const ENABLE_VAR: &str = "TRAILSTORE_ENABLE_FAULTS";

fn one() -> f64 {
    1.0
}

/// A fault plan, as read from JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    #[serde(default)]
    pub seed: u64,
    pub rules: Vec<FaultRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    DropAfter,
    DropBefore,
    RateLimit,
    Error,
    Delay,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub action: FaultAction,
    #[serde(default)]
    pub routes: Vec<String>,
    #[serde(default)]
    pub writes: bool,
    #[serde(default)]
    pub reads: bool,
    #[serde(default = "one")]
    pub rate: f64,
    #[serde(default)]
    pub every: Option<u64>,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub retry_after: Option<f64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub per_minute: Option<u64>,
}

impl FaultPlan {
    /// Reads a plan, refusing it unless [`ENABLE_VAR`] is `yes`.
    pub fn load(path: &std::path::Path) -> trailstore::Result<FaultPlan> {
        if std::env::var(ENABLE_VAR).as_deref() != Ok("yes") {
            return Err(trailstore::Error::Forbidden {
                message: format!(
                    "--faults makes the server misbehave on purpose, for testing sync. Set {ENABLE_VAR}=yes to confirm."
                ),
            });
        }
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(|e| trailstore::Error::BadRequest {
            message: format!("The fault plan {} is not valid: {e}", path.display()),
        })
    }
}

/// What to do with one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub delay: Option<Duration>,
    before: Option<Before>,
    pub drop_after: bool,
}

#[derive(Debug)]
enum Before {
    RateLimit(f64),
    Error(u16),
    Drop,
}

impl Decision {
    /// The answer to give without applying the request, if any.
    pub fn respond_before(&self) -> Option<Response> {
        match self.before.as_ref()? {
            Before::RateLimit(secs) => Some(
                Response::builder()
                    .status(429)
                    .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                    .header(header::RETRY_AFTER, format!("{}", secs.ceil() as u64))
                    .body(Body::from(
                        json!({"error": format!("API Rate Limit Exceeded - 180 per minute maximum allowed. Retry after {} seconds.", secs.ceil() as u64)})
                            .to_string(),
                    ))
                    .unwrap_or_default(),
            ),
            Before::Error(status) => Some(
                Response::builder()
                    .status(*status)
                    .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                    .body(Body::from(
                        json!({"error": "The server encountered an internal error (fault plan)."})
                            .to_string(),
                    ))
                    .unwrap_or_default(),
            ),
            Before::Drop => Some(dropped_response()),
        }
    }
}

/// A response whose body breaks off: the client sees the connection fail mid-answer.
pub(crate) fn dropped_response() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "fault plan: response dropped",
        ))
    });
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(header::CONTENT_LENGTH, "4096")
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}

struct State {
    rng: u64,
    matched: Vec<u64>,
    fired: Vec<u64>,
    requests: u64,
    rate_limited: u64,
    errors: u64,
    dropped_before: u64,
    dropped_after: u64,
    /// Until when the last 429 asked clients to wait.
    retry_until: Option<Instant>,
    early: u64,
    /// Per rule, when the requests a `per_minute` limit admitted in the last minute arrived.
    windows: Vec<VecDeque<Instant>>,
}

/// A plan in force, with its counters.
pub(crate) struct Faults {
    plan: FaultPlan,
    state: Mutex<State>,
}

impl Faults {
    pub fn new(plan: FaultPlan) -> Faults {
        let n = plan.rules.len();
        Faults {
            state: Mutex::new(State {
                rng: plan
                    .seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407)
                    | 1,
                matched: vec![0; n],
                fired: vec![0; n],
                requests: 0,
                rate_limited: 0,
                errors: 0,
                dropped_before: 0,
                dropped_after: 0,
                retry_until: None,
                early: 0,
                windows: vec![VecDeque::new(); n],
            }),
            plan,
        }
    }

    pub fn stats_route(&self, route: &str) -> bool {
        route.split('&').next() == Some("x_fault_stats")
    }

    pub fn stats(&self) -> Value {
        let s = self.lock();
        json!({
            "requests": s.requests, "rate_limited": s.rate_limited, "errors": s.errors,
            "dropped_before": s.dropped_before, "dropped_after": s.dropped_after,
            "early_after_429": s.early, "fired": s.fired,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn decide(&self, method: &str, write: bool, _headers: &HeaderMap) -> Decision {
        let mut s = self.lock();
        s.requests += 1;
        let now = Instant::now();
        if s.retry_until.is_some_and(|t| now < t) {
            s.early += 1;
        }
        let mut d = Decision::default();
        for (i, rule) in self.plan.rules.iter().enumerate() {
            let route_ok = rule.routes.is_empty()
                || rule.routes.iter().any(|r| method.starts_with(r.as_str()));
            let kind_ok = !(rule.writes && !write || rule.reads && write);
            if !route_ok || !kind_ok || rule.limit.is_some_and(|l| s.fired[i] >= l) {
                continue;
            }
            s.matched[i] += 1;
            if let (FaultAction::RateLimit, Some(limit)) = (rule.action, rule.per_minute) {
                let window = &mut s.windows[i];
                while window
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= MINUTE)
                {
                    window.pop_front();
                }
                if (window.len() as u64) < limit {
                    window.push_back(now);
                    continue;
                }
                let wait = window
                    .front()
                    .map_or(MINUTE, |t| MINUTE.saturating_sub(now.duration_since(*t)));
                s.fired[i] += 1;
                s.rate_limited += 1;
                let secs = wait.as_secs_f64().ceil().max(1.0);
                s.retry_until = Some(now + Duration::from_secs_f64(secs));
                d.before = Some(Before::RateLimit(secs));
                break;
            }
            let fire = match rule.every {
                Some(n) if n > 0 => s.matched[i] % n == 0,
                _ => {
                    // xorshift64*: deterministic for a seed.
                    let mut x = s.rng;
                    x ^= x >> 12;
                    x ^= x << 25;
                    x ^= x >> 27;
                    s.rng = x;
                    let r = (x.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as f64 / (1u64 << 53) as f64;
                    r < rule.rate
                }
            };
            if !fire {
                continue;
            }
            s.fired[i] += 1;
            match rule.action {
                FaultAction::Delay => {
                    d.delay = Some(Duration::from_millis(rule.delay_ms.unwrap_or(50)));
                    continue;
                }
                FaultAction::DropAfter => {
                    s.dropped_after += 1;
                    d.drop_after = true;
                }
                FaultAction::DropBefore => {
                    s.dropped_before += 1;
                    d.before = Some(Before::Drop);
                }
                FaultAction::RateLimit => {
                    let secs = rule.retry_after.unwrap_or(1.0).max(0.0);
                    s.rate_limited += 1;
                    s.retry_until = Some(now + Duration::from_secs_f64(secs.ceil()));
                    d.before = Some(Before::RateLimit(secs));
                }
                FaultAction::Error => {
                    s.errors += 1;
                    d.before = Some(Before::Error(rule.status.unwrap_or(500)));
                }
            }
            break;
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rules: Value) -> Faults {
        Faults::new(serde_json::from_value(json!({"seed": 1, "rules": rules})).unwrap())
    }

    #[test]
    fn a_per_minute_limit_admits_that_many_then_answers_429_until_the_window_moves() {
        let f = plan(json!([{"action": "rate_limit", "per_minute": 5, "routes": ["get_"]}]));
        let h = HeaderMap::new();
        for _ in 0..5 {
            assert!(f.decide("get_case/1", false, &h).respond_before().is_none());
        }
        // Another route is not counted against the window.
        assert!(f.decide("add_case/1", true, &h).respond_before().is_none());
        let refused = f.decide("get_case/1", false, &h).respond_before().unwrap();
        assert_eq!(refused.status(), 429);
        let wait: u64 = refused.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((59..=60).contains(&wait), "Retry-After {wait}");
        let stats = f.stats();
        assert_eq!(stats["rate_limited"], 1, "{stats}");
        assert_eq!(stats["requests"], 7, "{stats}");
        // Asking again before Retry-After is counted as early, and refused again.
        assert!(f.decide("get_case/1", false, &h).respond_before().is_some());
        assert_eq!(f.stats()["early_after_429"], 1);
    }
}
