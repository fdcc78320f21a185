//! HTTP routing of Engine.IO requests: the handshake, polling, WebSocket, CORS and errors.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};

use super::config::{Cors, Transport};
use super::engine::{Engine, EngineHandler};
use super::response::{ProtocolError, RequestBody, ResponseBody, ResponseContext};
use super::session::{Handshake, query_param};
use super::transport::{polling, websocket};
use super::version::ProtocolVersion;

/// Answers one HTTP request addressed to the Engine.IO path.
pub(crate) async fn handle<H, B>(
    engine: &Arc<Engine<H>>,
    request: Request<B>,
) -> Response<ResponseBody>
where
    H: EngineHandler,
    B: RequestBody,
{
    let context = cors_context(&engine.config.cors, &request);
    if let Some(Err(())) = origin_allowed(&engine.config.cors, &request) {
        return context.error(ProtocolError::Forbidden);
    }
    if request.method() == Method::OPTIONS {
        return preflight(&context, &request);
    }
    match route(engine, request, &context).await {
        Ok(response) => response,
        Err(error) => context.error(error),
    }
}

async fn route<H, B>(
    engine: &Arc<Engine<H>>,
    request: Request<B>,
    context: &ResponseContext,
) -> Result<Response<ResponseBody>, ProtocolError>
where
    H: EngineHandler,
    B: RequestBody,
{
    let query = request.uri().query().unwrap_or_default();
    let transport = query_param(query, "transport")
        .and_then(Transport::from_query)
        .filter(|t| engine.config.allows(*t))
        .ok_or(ProtocolError::UnknownTransport)?;
    let protocol = ProtocolVersion::from_query(query_param(query, "EIO"))
        .filter(|p| *p == ProtocolVersion::V4 || engine.config.allow_eio3)
        .ok_or(ProtocolError::UnsupportedProtocolVersion)?;
    let wants_websocket = websocket::is_upgrade_request(&request);
    if wants_websocket != (transport == Transport::Websocket) {
        return Err(ProtocolError::BadRequest);
    }

    let Some(sid) = query_param(query, "sid") else {
        if request.method() != Method::GET {
            return Err(ProtocolError::BadHandshakeMethod);
        }
        let handshake = handshake_of(&request);
        return Ok(match transport {
            Transport::Polling => polling::open(engine, protocol, handshake, context),
            Transport::Websocket => websocket::open(engine, protocol, request, handshake)?,
        });
    };

    // A session that has ended is unknown at once, as in Node, even before its task has
    // removed it from the engine.
    let session = engine
        .session(sid)
        .filter(|session| !session.is_closed())
        .ok_or(ProtocolError::UnknownSid)?;
    match transport {
        Transport::Websocket => websocket::upgrade(engine, session, request),
        Transport::Polling if !session.is_polling() => Err(ProtocolError::BadRequest),
        Transport::Polling => match *request.method() {
            Method::GET => Ok(polling::poll(&session, engine.config.max_payload, context).await),
            Method::POST => Ok(polling::receive(engine, &session, request, context).await),
            _ => Err(ProtocolError::BadRequest),
        },
    }
}

/// The handshake of a request, its URI and headers copied: hyper parses them as slices of its
/// connection's read buffer, and a session that kept those slices would keep that whole buffer
/// (16 KiB) alive for as long as it lives.
fn handshake_of<B>(request: &Request<B>) -> Handshake {
    let uri = request.uri();
    Handshake {
        uri: Uri::try_from(uri.to_string()).unwrap_or_else(|_| uri.clone()),
        headers: request
            .headers()
            .iter()
            .map(|(name, value)| {
                let copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or(value.clone());
                (name.clone(), copy)
            })
            .collect(),
        address: request
            .extensions()
            .get::<crate::PeerAddr>()
            .map(|peer| peer.0),
        issued: std::time::SystemTime::now(),
    }
}

/// `None` when the request has no `Origin` header or CORS is not restricted.
fn origin_allowed<B>(cors: &Cors, request: &Request<B>) -> Option<Result<(), ()>> {
    let origin = request.headers().get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or_default();
    Some(if cors.allows(origin) { Ok(()) } else { Err(()) })
}

fn cors_context<B>(cors: &Cors, request: &Request<B>) -> ResponseContext {
    let origin = match cors {
        Cors::Disabled => None,
        Cors::Any | Cors::Origins(_) => request.headers().get(header::ORIGIN).cloned(),
    };
    ResponseContext { origin }
}

fn preflight<B>(context: &ResponseContext, request: &Request<B>) -> Response<ResponseBody> {
    let mut response = context.respond(StatusCode::NO_CONTENT, "text/plain", Bytes::new());
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    if let Some(requested) = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    response
}
