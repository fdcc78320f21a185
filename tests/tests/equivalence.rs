//! The equivalence suite through ferrio's in-process `TestClient`: every scenario of
//! `tests/equivalence/scenarios.json`, each against a fresh server, held to its expected
//! results. `tests/js/equivalence.test.mjs` runs the same file with the real socket.io-client.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use ferrio::Payload;
use ferrio::testing::{ReceivedEvent, TestClient, TestError};
use ferrio_tests::equivalence::{NAMESPACE, SCENARIOS, server};
use serde_json::{Value, json};

/// An argument as the scenarios write it: binary as `{"$binary": "<hex>"}`.
fn from_scenario(value: &Value) -> Result<Vec<Value>, String> {
    value
        .as_array()
        .cloned()
        .ok_or_else(|| format!("args must be an array: {value}"))
}

/// The arguments to send: binary ones as bytes, the others as they are.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Arg {
    Binary(#[serde(with = "serde_bytes_compat")] Bytes),
    Json(Value),
}

mod serde_bytes_compat {
    pub(super) fn serialize<S: serde::Serializer>(
        bytes: &bytes::Bytes,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }
}

fn to_args(values: &[Value]) -> Vec<Arg> {
    values
        .iter()
        .map(|value| match value.get("$binary").and_then(Value::as_str) {
            Some(hex) => Arg::Binary(Bytes::from(decode_hex(hex))),
            None => Arg::Json(value.clone()),
        })
        .collect()
}

fn decode_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Received arguments as the scenarios write them.
fn normalized(payload: &Payload) -> Vec<Value> {
    payload
        .values()
        .iter()
        .enumerate()
        .map(|(i, value)| {
            if value.get("_placeholder") == Some(&Value::Bool(true)) {
                let bytes: Bytes = payload.arg(i).unwrap_or_default();
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                json!({ "$binary": hex })
            } else {
                value.clone()
            }
        })
        .collect()
}

/// Several arguments as one tuple on the wire.
struct Spread(Vec<Arg>);

impl serde::Serialize for Spread {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for arg in &self.0 {
            tuple.serialize_element(arg)?;
        }
        tuple.end()
    }
}

async fn run(scenario: &Value) -> Result<(), String> {
    let io = server();
    let mut clients: HashMap<String, TestClient> = HashMap::new();
    let mut asked: HashMap<String, ReceivedEvent> = HashMap::new();
    let steps = scenario["steps"].as_array().ok_or("no steps")?;
    for (number, step) in steps.iter().enumerate() {
        let who = step["client"]
            .as_str()
            .ok_or("a step without client")?
            .to_owned();
        let expected = &step["expect"];
        let fail = |error: TestError| format!("step {number} ({step}): {error}");
        let got: Option<Value> = if let Some(auth) = step.get("connect") {
            let connected = TestClient::builder(&io, NAMESPACE)
                .auth(auth)
                .connect()
                .await;
            Some(match connected {
                Ok(client) => {
                    clients.insert(who.clone(), client);
                    json!({ "connected": true })
                }
                Err(error) => match error.refusal() {
                    Some(refusal) => json!({ "refused": refusal }),
                    None => return Err(fail(error)),
                },
            })
        } else {
            let client = clients
                .get_mut(&who)
                .ok_or(format!("step {number}: no client {who}"))?;
            if let Some(event) = step.get("emit").and_then(Value::as_str) {
                client
                    .emit(event, Spread(to_args(&from_scenario(&step["args"])?)))
                    .await
                    .map_err(fail)?;
                None
            } else if let Some(event) = step.get("call").and_then(Value::as_str) {
                let reply = client
                    .emit_with_ack_raw(event, Spread(to_args(&from_scenario(&step["args"])?)))
                    .await
                    .map_err(fail)?;
                Some(json!({ "ack": normalized(&reply) }))
            } else if step.get("next").is_some() {
                let event = client.next_event().await.map_err(fail)?;
                let mut got = json!({ "event": event.name(), "args": normalized(event.payload()) });
                if event.wants_ack() {
                    got["wantsAck"] = Value::Bool(true);
                    asked.insert(who.clone(), event);
                }
                Some(got)
            } else if let Some(reply) = step.get("answer") {
                let event = asked
                    .remove(&who)
                    .ok_or(format!("step {number}: nothing to answer"))?;
                event
                    .ack(Spread(to_args(&from_scenario(reply)?)))
                    .map_err(fail)?;
                None
            } else if step.get("nothing").is_some() {
                client
                    .expect_nothing(Duration::from_millis(100))
                    .await
                    .map_err(fail)?;
                None
            } else if step.get("disconnected").is_some() {
                Some(json!({ "reason": client.disconnected().await.map_err(fail)? }))
            } else if step.get("disconnect").is_some() {
                let client = clients.remove(&who).ok_or("gone")?;
                client.disconnect().await.map_err(fail)?;
                None
            } else {
                return Err(format!("step {number}: unknown step {step}"));
            }
        };
        if let Some(got) = got
            && &got != expected
        {
            return Err(format!(
                "step {number} ({step}): expected {expected}, got {got}"
            ));
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_scenario_holds_through_the_test_client() {
    let file: Value = serde_json::from_str(SCENARIOS).expect("scenarios.json is JSON");
    let scenarios = file["scenarios"].as_array().expect("scenarios");
    assert!(scenarios.len() >= 6);
    let mut failures = Vec::new();
    for scenario in scenarios {
        if let Err(failure) = run(scenario).await {
            failures.push(format!("{}: {failure}", scenario["name"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
