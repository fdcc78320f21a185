//! The Socket.IO client: the main namespace `/` over an [`EngineClient`], with binary
//! attachments put back together.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use serde::Deserialize;

use crate::client::{EngineClient, Target, Transport};
use crate::proto::{self, Message, SioKind};

/// A Socket.IO packet with its attachments.
#[derive(Debug)]
pub struct Packet {
    /// The packet type.
    pub kind: SioKind,
    /// The acknowledgement id.
    pub id: Option<u64>,
    /// The JSON data.
    pub data: String,
    /// The binary attachments, in order.
    pub attachments: Vec<Bytes>,
}

/// A socket connected to the namespace `/`.
pub struct SocketClient {
    engine: EngineClient,
    /// A binary packet still waiting for attachments (kept here so `recv` is cancel-safe).
    partial: Option<(Packet, usize)>,
}

impl SocketClient {
    /// Opens an Engine.IO session, sends `0` (connect to `/`) and waits for the server's
    /// `0{"sid":...}`.
    pub async fn connect(target: &Target, transport: Transport) -> Result<Self> {
        let mut engine = EngineClient::connect(target, transport).await?;
        engine.send(vec![Message::Text("0".into())]).await?;
        let text = match engine.recv().await? {
            Message::Text(text) => text,
            Message::Binary(_) => bail!("binary message before the namespace connect"),
        };
        let packet = proto::decode_sio(&text)?;
        match packet.kind {
            SioKind::Connect if packet.nsp == "/" => {
                #[derive(Deserialize)]
                struct Connected {
                    #[allow(dead_code)]
                    sid: String,
                }
                serde_json::from_str::<Connected>(packet.data).with_context(|| {
                    format!("bad namespace connect answer {:?}", proto::truncate(&text))
                })?;
                Ok(SocketClient {
                    engine,
                    partial: None,
                })
            }
            SioKind::ConnectError => bail!("the namespace connect was refused: {text}"),
            _ => bail!(
                "expected the namespace connect answer, got {:?}",
                proto::truncate(&text)
            ),
        }
    }

    /// The server's Engine.IO open packet.
    pub fn handshake(&self) -> &crate::proto::Handshake {
        self.engine.handshake()
    }

    /// Sends a packet (the text from [`proto::encode_event`]) and its attachments together.
    pub async fn emit(&mut self, packet: String, attachments: &[Bytes]) -> Result<()> {
        let mut messages = Vec::with_capacity(1 + attachments.len());
        messages.push(Message::Text(packet));
        messages.extend(attachments.iter().cloned().map(Message::Binary));
        self.engine.send(messages).await
    }

    /// The next packet, with its attachments; pings are answered on the way. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Packet> {
        loop {
            let message = self.engine.recv().await?;
            if let Some((mut packet, remaining)) = self.partial.take() {
                match message {
                    Message::Binary(data) => {
                        packet.attachments.push(data);
                        if remaining == 1 {
                            return Ok(packet);
                        }
                        self.partial = Some((packet, remaining - 1));
                        continue;
                    }
                    Message::Text(text) => bail!(
                        "expected {remaining} more attachment(s), got {:?}",
                        proto::truncate(&text)
                    ),
                }
            }
            let text = match message {
                Message::Text(text) => text,
                Message::Binary(_) => bail!("a binary message that no packet announced"),
            };
            let header = proto::decode_sio(&text)?;
            if header.nsp != "/" {
                bail!("a packet for namespace {:?}: {text:?}", header.nsp);
            }
            if header.kind == SioKind::Disconnect {
                bail!("the server disconnected the socket");
            }
            let packet = Packet {
                kind: header.kind,
                id: header.id,
                data: header.data.to_owned(),
                attachments: Vec::with_capacity(header.attachments),
            };
            if header.attachments == 0 {
                return Ok(packet);
            }
            self.partial = Some((packet, header.attachments));
        }
    }

    /// Leaves the namespace (`1`) and closes the session cleanly.
    pub async fn close(mut self) -> Result<()> {
        self.engine.send(vec![Message::Text("1".into())]).await?;
        self.engine.close().await
    }
}
