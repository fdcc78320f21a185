//! What Engine.IO's HTTP answers are made of, shared by the request routing (`service`) and
//! the transports below it: the body types, the protocol's errors, and CORS headers.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;

/// The body of every response ferrio writes.
pub type ResponseBody = Full<Bytes>;

/// A request body ferrio can read: any `http_body::Body` that can cross threads, such as
/// hyper's `Incoming` or axum's `Body`.
pub trait RequestBody:
    http_body::Body<Data: Send, Error: std::error::Error + Send + Sync + 'static> + Send + 'static
{
}

impl<B> RequestBody for B where
    B: http_body::Body<Data: Send, Error: std::error::Error + Send + Sync + 'static>
        + Send
        + 'static
{
}

/// The errors of the Engine.IO protocol, answered with HTTP 400 (403 for a refused origin)
/// and a JSON body `{"code": .., "message": ..}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProtocolError {
    UnknownTransport,
    UnknownSid,
    BadHandshakeMethod,
    BadRequest,
    Forbidden,
    UnsupportedProtocolVersion,
}

impl ProtocolError {
    fn code(self) -> u8 {
        match self {
            Self::UnknownTransport => 0,
            Self::UnknownSid => 1,
            Self::BadHandshakeMethod => 2,
            Self::BadRequest => 3,
            Self::Forbidden => 4,
            Self::UnsupportedProtocolVersion => 5,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::UnknownTransport => "Transport unknown",
            Self::UnknownSid => "Session ID unknown",
            Self::BadHandshakeMethod => "Bad handshake method",
            Self::BadRequest => "Bad request",
            Self::Forbidden => "Forbidden",
            Self::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::Forbidden => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Everything a response needs to carry CORS headers.
pub(crate) struct ResponseContext {
    pub(crate) origin: Option<HeaderValue>,
}

impl ResponseContext {
    pub(crate) fn respond(
        &self,
        status: StatusCode,
        content_type: &'static str,
        body: Bytes,
    ) -> Response<ResponseBody> {
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(origin) = &self.origin {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        response
    }

    pub(crate) fn error(&self, error: ProtocolError) -> Response<ResponseBody> {
        let body = serde_json::json!({ "code": error.code(), "message": error.message() });
        self.respond(error.status(), "application/json", body.to_string().into())
    }
}
