//! The otpauth URI as a QR code drawn with Unicode half blocks, two rows per text line, light
//! on dark so that it scans on a dark terminal as well (the quiet zone supplies the contrast).

use mfa_core::Error;
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

pub fn render(uri: &str) -> Result<String, Error> {
    let code = QrCode::new(uri.as_bytes())
        .map_err(|e| Error::Internal(format!("the otpauth URI does not fit a QR code: {e}")))?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}
