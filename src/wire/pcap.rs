//! A pcap file writer so that tests and examples can save the packets they build or receive
//! and open them in Wireshark/tshark.
//!
//! A thin layer over the `pcap-file` crate: it fixes the link type to what this module emits
//! and takes timestamps from the caller (the library reads no clock).

use super::error::WireError;
use pcap_file::pcap::{PcapHeader, PcapPacket};
use pcap_file::{DataLink, PcapError};
use std::io::Write;
use std::time::Duration;

/// What the first byte of every record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// Records start with an Ethernet header (LINKTYPE_ETHERNET).
    Ethernet,
    /// Records start with an IPv4 or IPv6 header (LINKTYPE_RAW), as [`VxlanEncap`] emits.
    ///
    /// [`VxlanEncap`]: super::VxlanEncap
    Raw,
}

/// Writes packets to a pcap stream.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    inner: pcap_file::pcap::PcapWriter<W>,
}

fn io(e: PcapError) -> WireError {
    match e {
        PcapError::IoError(e) => WireError::Pcap(e),
        other => WireError::Pcap(std::io::Error::other(other.to_string())),
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header for `link` (nanosecond timestamps, snaplen 65535).
    pub fn new(writer: W, link: LinkType) -> Result<Self, WireError> {
        let header = PcapHeader {
            datalink: match link {
                LinkType::Ethernet => DataLink::ETHERNET,
                LinkType::Raw => DataLink::RAW,
            },
            ts_resolution: pcap_file::TsResolution::NanoSecond,
            snaplen: 65535,
            ..PcapHeader::default()
        };
        Ok(PcapWriter {
            inner: pcap_file::pcap::PcapWriter::with_header(writer, header).map_err(io)?,
        })
    }

    /// Appends one packet with `timestamp` since the Unix epoch.
    pub fn write(&mut self, timestamp: Duration, data: &[u8]) -> Result<(), WireError> {
        let len = u32::try_from(data.len()).map_err(|_| WireError::TooLong {
            layer: super::Layer::InnerFrame,
            len: data.len(),
        })?;
        self.inner
            .write_packet(&PcapPacket::new(timestamp, len, data))
            .map_err(io)?;
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> W {
        self.inner.into_writer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_header_and_records_readable_back() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Raw).unwrap();
        w.write(Duration::from_millis(1500), &[0x45, 0, 0, 20])
            .unwrap();
        let bytes = w.into_inner();
        let mut r = pcap_file::pcap::PcapReader::new(&bytes[..]).unwrap();
        assert_eq!(r.header().datalink, DataLink::RAW);
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.timestamp, Duration::from_millis(1500));
        assert_eq!(&p.data[..], &[0x45, 0, 0, 20]);
        assert!(r.next_packet().is_none());
    }
}
