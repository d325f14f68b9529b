//! A blocking netlink socket that sends many requests per `sendmsg` and maps every reply back
//! to its request by sequence number, plus the parser for the kernel's replies (ACKs, errors
//! with extended-ACK text, dump parts, `NLMSG_DONE`).
//!
//! This module knows netlink framing only: it never builds rtnetlink or XFRM payloads and
//! never decides what an errno means for an object.

use std::io;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NetlinkDeserializable, NetlinkMessage, NetlinkPayload,
    NetlinkSerializable,
};
use netlink_sys::{Socket, SocketAddr};

use super::error::LinuxError;

const NLMSG_HDRLEN: usize = 16;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLMSGERR_ATTR_MSG: u16 = 1;

/// Requests per `sendmsg` are capped by bytes so a chunk stays well under the socket send
/// buffer (the kernel refuses a datagram larger than `SO_SNDBUF` with `EMSGSIZE`).
const CHUNK_BYTES: usize = 96 * 1024;

/// One message the kernel sent back, borrowed from the receive buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<'a> {
    /// `NLMSG_ERROR` with code 0: the request succeeded.
    Ack {
        /// Sequence number of the request.
        seq: u32,
    },
    /// `NLMSG_ERROR` with a negative code: the request failed.
    Error {
        /// Sequence number of the request.
        seq: u32,
        /// The positive errno.
        errno: i32,
        /// The extended-ACK message (`NLMSGERR_ATTR_MSG`), when the kernel gave one.
        message: Option<String>,
    },
    /// `NLMSG_DONE`: the end of a dump.
    Done {
        /// Sequence number of the dump request.
        seq: u32,
    },
    /// Any other message: one part of a dump (the whole message, header included).
    Data {
        /// Sequence number of the dump request.
        seq: u32,
        /// The message bytes, header included.
        bytes: &'a [u8],
    },
}

/// Splits a datagram received from a netlink socket into replies.
///
/// Fails when a header's length is shorter than a header or runs past the buffer, or an
/// error message is truncated; a truncated extended-ACK attribute is ignored (the errno is
/// what matters).
pub fn parse_replies(buf: &[u8]) -> Result<Vec<Reply<'_>>, LinuxError> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while buf.len().saturating_sub(off) >= NLMSG_HDRLEN {
        let len = u32_at(buf, off) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() - off {
            return Err(LinuxError::Malformed {
                offset: off,
                reason: format!("message length {len} with {} bytes left", buf.len() - off),
            });
        }
        let msg = &buf[off..off + len];
        let ty = u16::from_ne_bytes([msg[4], msg[5]]);
        let flags = u16::from_ne_bytes([msg[6], msg[7]]);
        let seq = u32_at(msg, 8);
        match ty {
            NLMSG_NOOP => {}
            NLMSG_ERROR => {
                if len < NLMSG_HDRLEN + 4 {
                    return Err(LinuxError::Malformed {
                        offset: off,
                        reason: "error message without an error code".into(),
                    });
                }
                let code = i32::from_ne_bytes([msg[16], msg[17], msg[18], msg[19]]);
                if code == 0 {
                    out.push(Reply::Ack { seq });
                } else {
                    out.push(Reply::Error {
                        seq,
                        errno: code.checked_neg().unwrap_or(i32::MAX),
                        message: ext_ack_message(msg, flags),
                    });
                }
            }
            NLMSG_DONE => out.push(Reply::Done { seq }),
            _ => out.push(Reply::Data { seq, bytes: msg }),
        }
        off += align4(len);
    }
    Ok(out)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// The `NLMSGERR_ATTR_MSG` string of an error message, if present and well formed.
fn ext_ack_message(msg: &[u8], flags: u16) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    // After the 4-byte code comes the request's header (capped) or the whole request.
    let orig = NLMSG_HDRLEN + 4;
    if msg.len() < orig + 4 {
        return None;
    }
    let orig_len = if flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        u32_at(msg, orig).min(msg.len() as u32) as usize
    };
    let mut off = orig.checked_add(align4(orig_len))?;
    while off + 4 <= msg.len() {
        let alen = u16::from_ne_bytes([msg[off], msg[off + 1]]) as usize;
        let aty = u16::from_ne_bytes([msg[off + 2], msg[off + 3]]) & 0x3fff;
        if alen < 4 || off + alen > msg.len() {
            return None;
        }
        if aty == NLMSGERR_ATTR_MSG {
            let text = &msg[off + 4..off + alen];
            let end = text.iter().position(|b| *b == 0).unwrap_or(text.len());
            return Some(String::from_utf8_lossy(&text[..end]).into_owned());
        }
        off += align4(alen);
    }
    None
}

/// Appends one netlink message (header with `flags` and `seq`, port 0) to `buf`, padded to 4
/// bytes; returns its offset.
pub(crate) fn encode_into<T: NetlinkSerializable>(
    buf: &mut Vec<u8>,
    payload: &T,
    flags: u16,
    seq: u32,
) -> usize {
    let at = buf.len();
    let len = NLMSG_HDRLEN + payload.buffer_len();
    buf.resize(at + align4(len), 0);
    let b = &mut buf[at..at + len];
    b[0..4].copy_from_slice(&(len as u32).to_ne_bytes());
    b[4..6].copy_from_slice(&payload.message_type().to_ne_bytes());
    b[6..8].copy_from_slice(&flags.to_ne_bytes());
    b[8..12].copy_from_slice(&seq.to_ne_bytes());
    payload.serialize(&mut b[NLMSG_HDRLEN..]);
    at
}

/// A kernel refusal of one request: the errno and the kernel's extended-ACK text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nack {
    /// The positive errno.
    pub errno: i32,
    /// The extended-ACK message, when the kernel gave one.
    pub message: Option<String>,
}

/// A connected netlink socket (route or XFRM) in the namespace it was opened in.
pub struct NlSocket {
    sock: Socket,
    seq: u32,
    rbuf: Vec<u8>,
    sbuf: Vec<u8>,
}

impl NlSocket {
    /// Opens a socket of `protocol` (`NETLINK_ROUTE`, `NETLINK_XFRM`) in the calling thread's
    /// namespace, with extended ACKs and capped ACKs on, and large buffers for batches.
    pub fn open(protocol: isize) -> io::Result<NlSocket> {
        let mut sock = Socket::new(protocol)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        sock.set_ext_ack(true)?;
        sock.set_cap_ack(true)?;
        // Best effort: a small buffer only means smaller batches per receive.
        let _ = sock.set_rx_buf_sz(4 << 20);
        Ok(NlSocket {
            sock,
            seq: 0,
            rbuf: vec![0; 1 << 20],
            sbuf: Vec::with_capacity(CHUNK_BYTES + 4096),
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends every request (payload and extra header flags) in as few `sendmsg` calls as fit
    /// the send buffer, and returns one result per request, in order.
    ///
    /// Only the last request of each `sendmsg` asks for an ACK: the kernel processes a
    /// datagram's requests in order and always reports errors, so the last ACK (or error)
    /// closes the chunk and everything before it without an error succeeded.
    pub fn batch<T: NetlinkSerializable>(
        &mut self,
        requests: &[(T, u16)],
    ) -> Result<Vec<Result<(), Nack>>, LinuxError> {
        let mut results: Vec<Result<(), Nack>> = Vec::with_capacity(requests.len());
        let mut chunk_start = 0;
        let mut first_seq = self.seq.wrapping_add(1);
        self.sbuf.clear();
        for (i, (payload, flags)) in requests.iter().enumerate() {
            let seq = self.next_seq();
            let at = self.append(payload, NLM_F_REQUEST | flags, seq);
            if self.sbuf.len() < CHUNK_BYTES && i + 1 < requests.len() {
                continue;
            }
            // The last request of the chunk asks for the ACK that closes the chunk.
            let f = u16::from_ne_bytes([self.sbuf[at + 6], self.sbuf[at + 7]]) | NLM_F_ACK;
            self.sbuf[at + 6..at + 8].copy_from_slice(&f.to_ne_bytes());
            self.sock.send(&self.sbuf, 0).map_err(LinuxError::Io)?;
            let mut chunk: Vec<Result<(), Nack>> = vec![Ok(()); i + 1 - chunk_start];
            self.collect(first_seq, seq, &mut chunk)?;
            results.extend(chunk);
            chunk_start = i + 1;
            first_seq = seq.wrapping_add(1);
            self.sbuf.clear();
        }
        Ok(results)
    }

    /// Appends one request to the send buffer and returns its offset.
    fn append<T: NetlinkSerializable>(&mut self, payload: &T, flags: u16, seq: u32) -> usize {
        encode_into(&mut self.sbuf, payload, flags, seq)
    }

    /// Receives until the reply to `last_seq` arrives, recording errors for the requests
    /// `first_seq..=last_seq` in `chunk`.
    fn collect(
        &mut self,
        first_seq: u32,
        last_seq: u32,
        chunk: &mut [Result<(), Nack>],
    ) -> Result<(), LinuxError> {
        loop {
            let n = self
                .sock
                .recv(&mut &mut self.rbuf[..], 0)
                .map_err(LinuxError::Io)?;
            let mut closed = false;
            for reply in parse_replies(&self.rbuf[..n.min(self.rbuf.len())])? {
                let (seq, nack) = match reply {
                    Reply::Ack { seq } => (seq, None),
                    Reply::Error {
                        seq,
                        errno,
                        message,
                    } => (seq, Some(Nack { errno, message })),
                    _ => continue,
                };
                let idx = seq.wrapping_sub(first_seq) as usize;
                if idx >= chunk.len() {
                    continue; // a late reply to an earlier exchange
                }
                if let Some(nack) = nack {
                    chunk[idx] = Err(nack);
                }
                closed |= seq == last_seq;
            }
            if closed {
                return Ok(());
            }
        }
    }

    /// Sends one request and waits for its ACK.
    pub fn request<T: NetlinkSerializable>(
        &mut self,
        payload: T,
        flags: u16,
    ) -> Result<Result<(), Nack>, LinuxError> {
        let mut r = self.batch(&[(payload, flags)])?;
        Ok(r.pop().unwrap_or(Ok(())))
    }

    /// Runs a dump request and returns every message of the reply.
    pub fn dump<T>(&mut self, payload: T) -> Result<Result<Vec<T>, Nack>, LinuxError>
    where
        T: NetlinkSerializable + NetlinkDeserializable,
    {
        self.query(payload, NLM_F_DUMP)
    }

    /// Sends a get request (with an ACK) and returns the reply messages.
    pub fn get<T>(&mut self, payload: T) -> Result<Result<Vec<T>, Nack>, LinuxError>
    where
        T: NetlinkSerializable + NetlinkDeserializable,
    {
        self.query(payload, NLM_F_ACK)
    }

    fn query<T>(&mut self, payload: T, flags: u16) -> Result<Result<Vec<T>, Nack>, LinuxError>
    where
        T: NetlinkSerializable + NetlinkDeserializable,
    {
        self.sbuf.clear();
        let seq = self.next_seq();
        self.append(&payload, NLM_F_REQUEST | flags, seq);
        self.sock.send(&self.sbuf, 0).map_err(LinuxError::Io)?;
        let mut out = Vec::new();
        loop {
            let n = self
                .sock
                .recv(&mut &mut self.rbuf[..], 0)
                .map_err(LinuxError::Io)?;
            for reply in parse_replies(&self.rbuf[..n.min(self.rbuf.len())])? {
                match reply {
                    Reply::Done { seq: s } | Reply::Ack { seq: s } if s == seq => {
                        return Ok(Ok(out));
                    }
                    Reply::Error {
                        seq: s,
                        errno,
                        message,
                    } if s == seq => return Ok(Err(Nack { errno, message })),
                    Reply::Data { seq: s, bytes } if s == seq => {
                        let msg = NetlinkMessage::<T>::deserialize(bytes).map_err(|e| {
                            LinuxError::Malformed {
                                offset: 0,
                                reason: e.to_string(),
                            }
                        })?;
                        if let NetlinkPayload::InnerMessage(m) = msg.payload {
                            out.push(m);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_msg(seq: u32, code: i32, ext: Option<&str>) -> Vec<u8> {
        let mut m = Vec::new();
        let flags: u16 = NLM_F_CAPPED | if ext.is_some() { NLM_F_ACK_TLVS } else { 0 };
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&code.to_ne_bytes());
        m.extend_from_slice(&[0u8; 16]); // the request's header
        if let Some(text) = ext {
            let alen = 4 + text.len() + 1;
            m.extend_from_slice(&(alen as u16).to_ne_bytes());
            m.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
            m.extend_from_slice(text.as_bytes());
            m.push(0);
            while m.len() % 4 != 0 {
                m.push(0);
            }
        }
        let len = m.len() as u32;
        m[..4].copy_from_slice(&len.to_ne_bytes());
        m
    }

    #[test]
    fn parses_ack_error_and_ext_ack() {
        let mut buf = error_msg(7, 0, None);
        buf.extend(error_msg(8, -17, Some("File exists")));
        buf.extend(error_msg(9, -22, Some("Unknown device type")));
        let r = parse_replies(&buf).unwrap();
        assert_eq!(r[0], Reply::Ack { seq: 7 });
        assert_eq!(
            r[1],
            Reply::Error {
                seq: 8,
                errno: 17,
                message: Some("File exists".into())
            }
        );
        assert_eq!(
            r[2],
            Reply::Error {
                seq: 9,
                errno: 22,
                message: Some("Unknown device type".into())
            }
        );
    }

    #[test]
    fn refuses_lengths_past_the_buffer() {
        let mut buf = error_msg(1, -1, None);
        buf[0] = 200;
        assert!(matches!(
            parse_replies(&buf),
            Err(LinuxError::Malformed { offset: 0, .. })
        ));
        buf[0] = 3;
        assert!(parse_replies(&buf).is_err());
    }

    #[test]
    fn truncated_ext_ack_keeps_the_errno() {
        let mut buf = error_msg(3, -95, Some("Not supported here"));
        let n = buf.len() - 8;
        buf.truncate(n);
        let len = buf.len() as u32;
        buf[..4].copy_from_slice(&len.to_ne_bytes());
        assert_eq!(
            parse_replies(&buf).unwrap(),
            vec![Reply::Error {
                seq: 3,
                errno: 95,
                message: None
            }]
        );
    }
}
