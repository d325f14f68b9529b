//! The ESP header (RFC 4303 §2) and trailer, smoltcp style: [`Packet`] is a view over a buffer
//! with `new_checked`, getters and setters; [`Repr`] is the parsed header. The trailer helpers
//! work on the *decrypted* payload. For ESP-in-UDP (RFC 3948) the ESP packet is the whole UDP
//! payload; a zero first word is the non-ESP marker. Nothing here encrypts or allocates.

/// Bytes of SPI and sequence number.
pub const HEADER_LEN: usize = 8;
/// Bytes of the pad-length and next-header fields.
pub const TRAILER_LEN: usize = 2;
/// RFC 4303 §2.4: the trailer must end on a 4-byte boundary.
pub const ALIGN: usize = 4;
/// IP protocol number carried in "next header" for a UDP payload (VXLAN rides in UDP).
pub const NEXT_HEADER_UDP: u8 = 17;

/// Why an ESP header or trailer was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EspError {
    /// Buffer shorter than the structure.
    #[error("ESP data truncated: {len} bytes, at least {min} needed")]
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        min: usize,
    },
    /// Pad length exceeds the payload, or padding bytes are not 1, 2, 3, ….
    #[error("ESP padding invalid (pad length {pad_len})")]
    BadPadding {
        /// The pad length field.
        pad_len: u8,
    },
}

/// A read/write view of an ESP packet: `SPI ‖ sequence ‖ payload` (the payload holds the IV,
/// ciphertext, encrypted trailer and ICV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wrap without checking; accessors may panic on short buffers. Prefer [`Packet::new_checked`].
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wrap after checking the header fits; afterwards no accessor panics.
    pub fn new_checked(buffer: T) -> Result<Packet<T>, EspError> {
        let len = buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(EspError::Truncated {
                len,
                min: HEADER_LEN,
            });
        }
        Ok(Packet { buffer })
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Security Parameters Index.
    pub fn spi(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Sequence number (the low 32 bits when ESN is in use).
    pub fn sequence_number(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[4], b[5], b[6], b[7]])
    }

    /// Everything after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    /// RFC 3948 §2.2: a UDP payload starting with a zero SPI is not ESP (it is IKE).
    pub fn is_non_esp_marker(&self) -> bool {
        self.spi() == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Set the SPI.
    pub fn set_spi(&mut self, spi: u32) {
        self.buffer.as_mut()[0..4].copy_from_slice(&spi.to_be_bytes());
    }

    /// Set the (low 32 bits of the) sequence number.
    pub fn set_sequence_number(&mut self, seq: u32) {
        self.buffer.as_mut()[4..8].copy_from_slice(&seq.to_be_bytes());
    }

    /// Everything after the header, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// The parsed ESP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Security Parameters Index.
    pub spi: u32,
    /// Sequence number as on the wire.
    pub sequence_number: u32,
}

impl Repr {
    /// Read the header.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Repr {
        Repr {
            spi: packet.spi(),
            sequence_number: packet.sequence_number(),
        }
    }

    /// Header length.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Write the header into `packet`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_spi(self.spi);
        packet.set_sequence_number(self.sequence_number);
    }
}

/// Padding bytes needed after `payload_len` bytes so that payload, padding and the 2-byte
/// trailer end on a 4-byte boundary.
pub const fn padding_len(payload_len: usize) -> usize {
    // Reduced first so that no payload length can overflow.
    (ALIGN - (payload_len % ALIGN + TRAILER_LEN) % ALIGN) % ALIGN
}

/// Write RFC 4303's default padding (1, 2, 3, …), pad length and next header after
/// `payload_len` bytes of `buf`. Returns the plaintext length including the trailer.
#[inline]
pub fn write_trailer(
    buf: &mut [u8],
    payload_len: usize,
    next_header: u8,
) -> Result<usize, EspError> {
    let pad = padding_len(payload_len);
    let len = buf.len();
    let total = payload_len.checked_add(pad + TRAILER_LEN);
    let Some(tail) = total.and_then(|total| buf.get_mut(payload_len..total)) else {
        return Err(EspError::Truncated {
            len,
            min: total.unwrap_or(usize::MAX),
        });
    };
    // RFC 4303's default padding 1, 2, 3, at most ALIGN - 1 bytes: fixed-size stores rather
    // than a loop or a memcpy call.
    match pad {
        0 => {}
        1 => tail[0] = 1,
        2 => tail[..2].copy_from_slice(&[1, 2]),
        _ => tail[..3].copy_from_slice(&[1, 2, 3]),
    }
    tail[pad] = pad as u8;
    tail[pad + 1] = next_header;
    Ok(payload_len + pad + TRAILER_LEN)
}

/// Read the trailer of a decrypted ESP plaintext: returns the inner payload length and the
/// next-header value, after checking the padding is 1, 2, 3, ….
pub fn parse_trailer(plaintext: &[u8]) -> Result<(usize, u8), EspError> {
    let n = plaintext.len();
    if n < TRAILER_LEN {
        return Err(EspError::Truncated {
            len: n,
            min: TRAILER_LEN,
        });
    }
    let pad_len = plaintext[n - 2];
    let next_header = plaintext[n - 1];
    let inner = n
        .checked_sub(TRAILER_LEN + usize::from(pad_len))
        .ok_or(EspError::BadPadding { pad_len })?;
    let padding = &plaintext[inner..n - TRAILER_LEN];
    if padding.iter().enumerate().any(|(i, &b)| b != (i + 1) as u8) {
        return Err(EspError::BadPadding { pad_len });
    }
    Ok((inner, next_header))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_roundtrip() {
        let mut buf = [0u8; 12];
        let mut p = Packet::new_checked(&mut buf[..]).unwrap();
        Repr {
            spi: 0xbf836db8,
            sequence_number: 7,
        }
        .emit(&mut p);
        assert_eq!(&buf[..8], &[0xbf, 0x83, 0x6d, 0xb8, 0, 0, 0, 7]);
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            Repr::parse(&p),
            Repr {
                spi: 0xbf836db8,
                sequence_number: 7
            }
        );
        assert_eq!(p.payload().len(), 4);
        assert!(!p.is_non_esp_marker());
        assert_eq!(
            Packet::new_checked(&buf[..7]),
            Err(EspError::Truncated { len: 7, min: 8 })
        );
        assert!(
            Packet::new_checked(&[0u8; 8][..])
                .unwrap()
                .is_non_esp_marker()
        );
    }

    #[test]
    fn trailer_roundtrip_all_alignments() {
        for len in 0..12 {
            let mut buf = [0xee; 32];
            let total = write_trailer(&mut buf, len, NEXT_HEADER_UDP).unwrap();
            assert_eq!(total % 4, 0);
            assert_eq!(parse_trailer(&buf[..total]), Ok((len, NEXT_HEADER_UDP)));
        }
        assert_eq!(
            parse_trailer(&[1, 2, 5, 4]),
            Err(EspError::BadPadding { pad_len: 5 })
        );
        assert_eq!(
            parse_trailer(&[0, 1, 3, 2, 4]),
            Err(EspError::BadPadding { pad_len: 2 })
        );
        assert_eq!(
            parse_trailer(&[9]),
            Err(EspError::Truncated { len: 1, min: 2 })
        );
        assert!(write_trailer(&mut [0; 3], 1, 4).is_err());
    }
}
