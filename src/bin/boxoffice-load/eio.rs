//! Engine.IO v4 / Socket.IO v5 packets as the fan-out client sees them on a WebSocket.
//!
//! Over the WebSocket transport every WebSocket text message is one Engine.IO packet (a type
//! digit, then its data), and a Socket.IO packet is the data of an Engine.IO `4` (message)
//! packet: a type digit, an optional ack id, then JSON. On the default namespace `/` there is no
//! namespace part. Only what the benchmark needs is decoded, and nothing is deserialized: the
//! receive loop must cost the client as little as possible, so that the latencies it reports are
//! the server's. A push is recognised by the start of its payload (`["ticket:updated",`) and its
//! one interesting number is found by scanning for the field name.

/// One packet read off the WebSocket. Payloads borrow the message text.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// Engine.IO `0{...}`: the handshake (sid, ping interval).
    Open,
    /// Engine.IO `1`: the server closes the transport.
    Close,
    /// Engine.IO `2`: a heartbeat; the client answers [`PONG`].
    Ping,
    /// Socket.IO `40{...}`: the namespace accepted the connection.
    Connect,
    /// Socket.IO `44{"message":...}`: the namespace refused it (the data).
    ConnectError(&'a str),
    /// Socket.IO `41`: the server disconnected the socket.
    Disconnect,
    /// Socket.IO `42[name, ...]` (an ack id, if any, skipped): the JSON array.
    Event(&'a str),
    /// Socket.IO `43N[...]`: the answer to the client's event with ack id N, and its JSON array.
    Ack(u64, &'a str),
    /// Anything else (noop, upgrade, binary packets): ignored.
    Other,
}

/// The Engine.IO answer to [`Packet::Ping`].
pub const PONG: &str = "3";

/// Decodes one WebSocket text message.
pub fn parse(text: &str) -> Packet<'_> {
    let b = text.as_bytes();
    match b.first() {
        Some(b'0') => Packet::Open,
        Some(b'1') => Packet::Close,
        Some(b'2') if b.len() == 1 => Packet::Ping,
        Some(b'4') => match b.get(1) {
            Some(b'0') => Packet::Connect,
            Some(b'1') => Packet::Disconnect,
            Some(b'2') => Packet::Event(skip_ack_id(&text[2..]).1),
            Some(b'3') => match skip_ack_id(&text[2..]) {
                (Some(id), data) => Packet::Ack(id, data),
                (None, _) => Packet::Other,
            },
            Some(b'4') => Packet::ConnectError(&text[2..]),
            _ => Packet::Other,
        },
        _ => Packet::Other,
    }
}

/// Splits a leading decimal ack id off a Socket.IO packet's data.
fn skip_ack_id(data: &str) -> (Option<u64>, &str) {
    let digits = data.bytes().take_while(u8::is_ascii_digit).count();
    (data[..digits].parse().ok(), &data[digits..])
}

/// True when an event packet's array starts with the event `name`.
pub fn is_event(array: &str, name: &str) -> bool {
    array
        .strip_prefix("[\"")
        .and_then(|rest| rest.strip_prefix(name))
        .is_some_and(|rest| rest.starts_with('"'))
}

/// The first integer value of `"field":` in a JSON text, found by a scan, not a parse: enough
/// for payloads whose shape the caller knows (the field occurs once, or first where it counts).
pub fn int_field(json: &str, field: &str) -> Option<i64> {
    let mut rest = json;
    loop {
        let at = rest.find(field)?;
        let before = &rest[..at];
        let after = &rest[at + field.len()..];
        rest = after;
        // The name must be a whole key: `"field"` followed by `:`.
        if !before.ends_with('"') {
            continue;
        }
        let Some(value) = after.strip_prefix('"') else {
            continue;
        };
        let Some(value) = value.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start();
        let sign = usize::from(value.starts_with('-'));
        let len = sign + value[sign..].bytes().take_while(u8::is_ascii_digit).count();
        return value[..len].parse().ok();
    }
}

/// Socket.IO CONNECT to the default namespace with `auth: {token}`.
pub fn connect(token: &str) -> String {
    format!("40{}", serde_json::json!({ "token": token }))
}

/// Socket.IO EVENT `name` with one JSON argument, asking for an ack with `ack_id` if given.
pub fn event(name: &str, arg: &serde_json::Value, ack_id: Option<u64>) -> String {
    let id = ack_id.map(|id| id.to_string()).unwrap_or_default();
    format!("42{id}{}", serde_json::json!([name, arg]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_engine_io_packets() {
        assert_eq!(parse(r#"0{"sid":"x","pingInterval":25000}"#), Packet::Open);
        assert_eq!(parse("1"), Packet::Close);
        assert_eq!(parse("2"), Packet::Ping);
        assert_eq!(parse("2probe"), Packet::Other);
        assert_eq!(parse("6"), Packet::Other);
        assert_eq!(parse(""), Packet::Other);
    }

    #[test]
    fn decodes_socket_io_packets() {
        assert_eq!(parse(r#"40{"sid":"abc"}"#), Packet::Connect);
        assert_eq!(parse("41"), Packet::Disconnect);
        assert_eq!(
            parse(r#"44{"message":"Invalid token"}"#),
            Packet::ConnectError(r#"{"message":"Invalid token"}"#)
        );
        assert_eq!(parse(r#"42["a",1]"#), Packet::Event(r#"["a",1]"#));
        // An event that asks the client for an ack: the id is skipped.
        assert_eq!(parse(r#"4217["a",1]"#), Packet::Event(r#"["a",1]"#));
        assert_eq!(
            parse(r#"4312[{"ok":true}]"#),
            Packet::Ack(12, r#"[{"ok":true}]"#)
        );
        assert_eq!(parse(r#"43[{"ok":true}]"#), Packet::Other);
    }

    #[test]
    fn recognises_events_by_name() {
        let push = r#"["ticket:updated",{"eventId":"e","remainingQuantity":7}]"#;
        assert!(is_event(push, "ticket:updated"));
        assert!(!is_event(push, "ticket:update"));
        assert!(!is_event(push, "seat:sold"));
        assert!(!is_event("[]", "ticket:updated"));
    }

    #[test]
    fn finds_integer_fields_without_parsing() {
        let boxoffice = r#"["ticket:updated",{"ticketTypeId":"t","remainingQuantity":41,"version":9,"eventId":"e","updates":[{"ticketTypeId":"t","remainingQuantity":41,"version":9}]}]"#;
        assert_eq!(int_field(boxoffice, "remainingQuantity"), Some(41));
        assert_eq!(int_field(boxoffice, "version"), Some(9));
        let peer =
            r#"["ticket:updated",{"eventId":"e","ticketTypeId":"ga","remainingQuantity": -1}]"#;
        assert_eq!(int_field(peer, "remainingQuantity"), Some(-1));
        // Not a key, or a key that only ends with the name: skipped.
        let tricky = r#"{"name":"version","myversion":3,"version":5}"#;
        assert_eq!(int_field(tricky, "version"), Some(5));
        assert_eq!(int_field(r#"{"version":"x"}"#, "version"), None);
        assert_eq!(int_field("{}", "version"), None);
    }

    #[test]
    fn encodes_connect_and_events() {
        assert_eq!(connect("a.b.c"), r#"40{"token":"a.b.c"}"#);
        let arg = serde_json::json!({"eventId": "e", "seats": false});
        assert_eq!(
            event("join:event", &arg, Some(0)),
            r#"420["join:event",{"eventId":"e","seats":false}]"#
        );
        assert_eq!(
            event("join:event", &serde_json::json!("e"), None),
            r#"42["join:event","e"]"#
        );
    }
}
