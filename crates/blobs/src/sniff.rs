//! Content sniffing: the type of an upload is decided by its first bytes,
//! never by its name or the client's Content-Type. Only the kinds listed
//! here are accepted; HTML, SVG, scripts and everything unknown are not.

/// What kind of content a blob is, by its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// `%PDF-`.
    Pdf,
    /// PNG signature.
    Png,
    /// JPEG SOI marker.
    Jpeg,
    /// GIF87a / GIF89a.
    Gif,
    /// RIFF....WEBP.
    Webp,
    /// ISO base media (`ftyp` box): MP4, M4A, MOV.
    Mp4,
    /// EBML header: WebM (and Matroska).
    Webm,
    /// `OggS`.
    Ogg,
    /// ID3 tag or MPEG audio frame sync.
    Mp3,
    /// RIFF....WAVE.
    Wav,
    /// Office Open XML presentation (zip with `ppt/`).
    Pptx,
    /// Office Open XML document (zip with `word/`).
    Docx,
    /// OpenDocument presentation (zip whose `mimetype` says so).
    Odp,
    /// OpenDocument text.
    Odt,
}

impl Kind {
    /// The Content-Type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Mp4 => "video/mp4",
            Kind::Webm => "video/webm",
            Kind::Ogg => "audio/ogg",
            Kind::Mp3 => "audio/mpeg",
            Kind::Wav => "audio/wav",
            Kind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Odp => "application/vnd.oasis.opendocument.presentation",
            Kind::Odt => "application/vnd.oasis.opendocument.text",
        }
    }

    /// The kind served as `content_type`, if it is one of ours.
    pub fn from_content_type(content_type: &str) -> Option<Kind> {
        ALL.iter()
            .copied()
            .find(|k| k.content_type() == content_type)
    }

    /// True for documents that are converted to PDF before they are shown.
    pub fn is_office(self) -> bool {
        matches!(self, Kind::Pptx | Kind::Docx | Kind::Odp | Kind::Odt)
    }

    /// True for kinds a browser may show inline (the rest are downloads).
    pub fn inline(self) -> bool {
        !self.is_office()
    }
}

const ALL: [Kind; 14] = [
    Kind::Pdf,
    Kind::Png,
    Kind::Jpeg,
    Kind::Gif,
    Kind::Webp,
    Kind::Mp4,
    Kind::Webm,
    Kind::Ogg,
    Kind::Mp3,
    Kind::Wav,
    Kind::Pptx,
    Kind::Docx,
    Kind::Odp,
    Kind::Odt,
];

/// How many leading bytes [`sniff`] wants (it copes with fewer).
pub const SNIFF_BYTES: usize = 4096;

/// The kind of content starting with `head`, if it is an accepted one.
pub fn sniff(head: &[u8]) -> Option<Kind> {
    let starts = |sig: &[u8]| head.starts_with(sig);
    let at = |offset: usize, sig: &[u8]| head.get(offset..offset + sig.len()) == Some(sig);
    if starts(b"%PDF-") {
        Some(Kind::Pdf)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if starts(b"\xff\xd8\xff") {
        Some(Kind::Jpeg)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(Kind::Gif)
    } else if starts(b"RIFF") && at(8, b"WEBP") {
        Some(Kind::Webp)
    } else if starts(b"RIFF") && at(8, b"WAVE") {
        Some(Kind::Wav)
    } else if at(4, b"ftyp") {
        Some(Kind::Mp4)
    } else if starts(b"\x1a\x45\xdf\xa3") {
        Some(Kind::Webm)
    } else if starts(b"OggS") {
        Some(Kind::Ogg)
    } else if starts(b"ID3") || (head.len() >= 2 && head[0] == 0xff && head[1] & 0xe0 == 0xe0) {
        Some(Kind::Mp3)
    } else if starts(b"PK\x03\x04") {
        sniff_zip(head)
    } else {
        None
    }
}

/// Office documents are zip files; what is inside tells them apart. The
/// OpenDocument format puts an uncompressed `mimetype` entry first; Office
/// Open XML names its parts `ppt/…` or `word/…`, usually among the first
/// entries.
fn sniff_zip(head: &[u8]) -> Option<Kind> {
    let contains = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if contains(b"mimetypeapplication/vnd.oasis.opendocument.presentation") {
        Some(Kind::Odp)
    } else if contains(b"mimetypeapplication/vnd.oasis.opendocument.text") {
        Some(Kind::Odt)
    } else if contains(b"ppt/") {
        Some(Kind::Pptx)
    } else if contains(b"word/") {
        Some(Kind::Docx)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_kinds() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Kind::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Kind::Png));
        assert_eq!(sniff(b"\x00\x00\x00\x20ftypisom"), Some(Kind::Mp4));
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81"), Some(Kind::Webm));
        assert_eq!(sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(
            sniff(b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.presentation"),
            Some(Kind::Odp)
        );
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml....ppt/slides/"),
            Some(Kind::Pptx)
        );
        for k in ALL {
            assert_eq!(Kind::from_content_type(k.content_type()), Some(k));
        }
    }

    #[test]
    fn refused_kinds() {
        for bad in [
            &b"<!doctype html><script>alert(1)</script>"[..],
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            b"<?xml version='1.0'?><svg/>",
            b"#!/bin/sh\nrm -rf /",
            b"PK\x03\x04 just a zip",
            b"",
            b"%PD",
        ] {
            assert_eq!(sniff(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
