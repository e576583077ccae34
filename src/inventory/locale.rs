//! Where an event is sold: the currency its prices are in and the time zone of its venue
//! (issue 18).
//!
//! Both are parsed once at the edge (the create and `PATCH` bodies, `DEFAULT_CURRENCY`) into
//! types that cannot hold a bad value, and stored as their text (`KRW`, `Asia/Seoul`).
//!
//! Prices stay integers in the currency's minor units, as ISO 4217 counts them (KRW and JPY
//! have none, USD two). Browsers format prices with `Intl.NumberFormat`, whose minor units come
//! from CLDR; for a handful of currencies the two disagree (ISO gives IDR two decimals,
//! browsers none), and a price of such a currency would show 100 times too large or small in
//! one of them. Those are refused ([`INTL_DISAGREES`]) rather than stored ambiguous.
//!
//! Time zones are IANA names looked up in the tz database compiled into the binary
//! ([`jiff`] with its bundled tzdb): nothing is read from the host at run time, so a slim
//! container without `/usr/share/zoneinfo` checks them the same way.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// The currency an event's prices are in: an ISO 4217 currency that is legal tender today
/// (no fund, precious metal, testing or withdrawn code) and that browsers format with the same
/// number of decimals as ISO 4217 gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

/// Currencies whose minor units differ between ISO 4217 and CLDR (what `Intl.NumberFormat`
/// uses), found by comparing every current ISO 4217 code with
/// `new Intl.NumberFormat('en-US', {style: 'currency', currency}).resolvedOptions()
/// .maximumFractionDigits` (Node 20, ICU 78.2): each is ISO 2 or 3 digits, CLDR 0.
pub const INTL_DISAGREES: [&str; 16] = [
    "AFN", "ALL", "COP", "HUF", "IDR", "IQD", "IRR", "KPW", "LAK", "LBP", "MGA", "MMK", "PKR",
    "SOS", "SYP", "YER",
];

impl Currency {
    /// The default when `DEFAULT_CURRENCY` is not set.
    pub const USD: Currency = Currency(iso_currency::Currency::USD);

    /// Parses an upper-case ISO 4217 code (`KRW`); the message says what is wrong.
    pub fn parse(code: &str) -> Result<Currency, String> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(
                "currency must be an ISO 4217 code of three capital letters, such as USD or KRW"
                    .into(),
            );
        }
        let Some(c) = iso_currency::Currency::from_code(code) else {
            return Err(format!("currency {code} is not an ISO 4217 currency"));
        };
        if let Some(successor) = c.is_superseded() {
            return Err(format!(
                "currency {code} is no longer in use; it was replaced by {}",
                successor.code()
            ));
        }
        if c.is_fund() || c.is_special() || c.exponent().is_none() {
            return Err(format!(
                "currency {code} is a fund or special code, not a currency tickets are sold in"
            ));
        }
        if INTL_DISAGREES.contains(&code) {
            return Err(format!(
                "currency {code} is not supported: ISO 4217 and browsers disagree on its \
                 decimals, so its prices would be ambiguous"
            ));
        }
        Ok(Currency(c))
    }

    /// The upper-case ISO 4217 code.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Decimals of the currency's minor unit (KRW 0, USD 2, BHD 3).
    pub fn digits(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(0))
    }

    /// An amount in minor units written in major units with the code, for messages:
    /// `KRW 100,000,000`, `USD 1,000,000.00`.
    pub fn show(self, minor: i64) -> String {
        let scale = 10i64.pow(self.digits());
        let (sign, minor) = if minor < 0 {
            ("-", -minor)
        } else {
            ("", minor)
        };
        let major = (minor / scale).to_string();
        let mut grouped = String::with_capacity(major.len() + major.len() / 3);
        for (i, ch) in major.chars().enumerate() {
            if i > 0 && (major.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        let fraction = if self.digits() == 0 {
            String::new()
        } else {
            format!(".{:0width$}", minor % scale, width = self.digits() as usize)
        };
        format!("{} {sign}{grouped}{fraction}", self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// The time zone of an event's venue: an IANA name (`Asia/Seoul`, `UTC`), kept in the
/// database's spelling whatever case it was sent in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimeZone(Arc<str>);

/// Names in the tz database that are no place: browsers' `Intl.DateTimeFormat` refuses
/// `Factory` (the only one of the bundled database's 598 names Node 20 / ICU 78 refuses), and
/// `Etc/Unknown` is jiff's name for a zone it does not know.
const NOT_FOR_BROWSERS: [&str; 2] = ["Factory", "Etc/Unknown"];

/// The longest IANA name is 32 characters (`America/Argentina/ComodRivadavia`).
const MAX_TIME_ZONE_LEN: usize = 64;

impl TimeZone {
    pub fn utc() -> TimeZone {
        TimeZone(Arc::from("UTC"))
    }

    /// Parses an IANA time zone name (ASCII case ignored); the message says what is wrong.
    pub fn parse(name: &str) -> Result<TimeZone, String> {
        let refused = || {
            format!(
                "timeZone must be an IANA time zone name, such as Asia/Seoul or UTC \
                 (at most {MAX_TIME_ZONE_LEN} characters)"
            )
        };
        if name.is_empty() || name.len() > MAX_TIME_ZONE_LEN || !name.is_ascii() {
            return Err(refused());
        }
        let tz = jiff::tz::db().get(name).map_err(|_| refused())?;
        match tz.iana_name() {
            Some(n) if !NOT_FOR_BROWSERS.iter().any(|x| n.eq_ignore_ascii_case(x)) => {
                Ok(TimeZone(Arc::from(n)))
            }
            _ => Err(refused()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_people_pay_in_are_known_with_their_decimals() {
        assert_eq!(Currency::parse("KRW").unwrap().digits(), 0);
        assert_eq!(Currency::parse("JPY").unwrap().digits(), 0);
        assert_eq!(Currency::parse("USD").unwrap().digits(), 2);
        assert_eq!(Currency::parse("EUR").unwrap().digits(), 2);
        assert_eq!(Currency::parse("BHD").unwrap().digits(), 3);
        assert_eq!(Currency::parse("KRW").unwrap().code(), "KRW");
    }

    #[test]
    fn other_codes_are_refused_with_the_reason() {
        for bad in ["krw", "Krw", "KR", "KRWX", "", "₩", "K1W"] {
            assert!(Currency::parse(bad)
                .unwrap_err()
                .contains("three capital letters"));
        }
        assert!(Currency::parse("ABC")
            .unwrap_err()
            .contains("not an ISO 4217"));
        assert!(Currency::parse("XAU").unwrap_err().contains("special"));
        assert!(Currency::parse("XTS").unwrap_err().contains("special"));
        assert!(Currency::parse("USN").unwrap_err().contains("fund"));
        assert!(Currency::parse("HRK")
            .unwrap_err()
            .contains("replaced by EUR"));
        assert!(Currency::parse("IDR").unwrap_err().contains("disagree"));
        for code in INTL_DISAGREES {
            // Every entry names a currency ISO 4217 knows (a typo would let one through).
            assert!(iso_currency::Currency::from_code(code).is_some(), "{code}");
        }
    }

    #[test]
    fn amounts_are_shown_in_major_units() {
        let krw = Currency::parse("KRW").unwrap();
        let usd = Currency::USD;
        assert_eq!(krw.show(100_000_000), "KRW 100,000,000");
        assert_eq!(krw.show(99_000), "KRW 99,000");
        assert_eq!(krw.show(0), "KRW 0");
        assert_eq!(usd.show(100_000_000), "USD 1,000,000.00");
        assert_eq!(usd.show(2_505), "USD 25.05");
        assert_eq!(usd.show(-5), "USD -0.05");
        assert_eq!(
            Currency::parse("BHD").unwrap().show(1_234_567),
            "BHD 1,234.567"
        );
    }

    #[test]
    fn time_zones_are_iana_names_from_the_compiled_in_database() {
        assert_eq!(
            TimeZone::parse("Asia/Seoul").unwrap().as_str(),
            "Asia/Seoul"
        );
        assert_eq!(
            TimeZone::parse("asia/seoul").unwrap().as_str(),
            "Asia/Seoul"
        );
        assert_eq!(TimeZone::parse("UTC").unwrap(), TimeZone::utc());
        assert_eq!(
            TimeZone::parse("America/New_York").unwrap().as_str(),
            "America/New_York"
        );
        for bad in [
            "",
            "Mars/Olympus",
            "Etc/Unknown",
            "Factory",
            "factory",
            "+09:00",
            "Asia/Seoul\0",
            "Asia/서울",
            &"A".repeat(65),
            "../../etc/passwd",
        ] {
            assert!(TimeZone::parse(bad).is_err(), "{bad:?}");
        }
    }
}
