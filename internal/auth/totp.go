package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The TOTP second factor (RFC 6238) as every authenticator app reads it:
// SHA-1, 6 digits, 30-second steps; a code from the step before or after
// is accepted too, for clock drift.
const (
	TOTPPeriod = 30
	totpSkew   = 1
)

var totpOpts = totp.ValidateOpts{Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTPKey returns a new random secret for account at issuer, with its
// otpauth:// URL (what the QR code holds).
func NewTOTPKey(issuer, account string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: TOTPPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// CheckTOTP returns the time step of the code that matches secret at now
// (the step before and after count too), or ok false. The caller records
// the step so the same code cannot be used twice.
func CheckTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = NormalizeCode(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" || secret == "" {
		return 0, false
	}
	cur := now.Unix() / TOTPPeriod
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*TOTPPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode is the code of secret at t (for tests and the set-up check).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// NormalizeCode drops the blanks and dashes people type inside a code and
// lowercases it.
func NormalizeCode(s string) string {
	if len(s) > 64 {
		return ""
	}
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, s))
}

// RecoveryCodes is how many one-time recovery codes an account gets.
const RecoveryCodes = 10

var recoveryEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns n recovery codes to show once ("xxxxx-xxxxx",
// 50 random bits each) and their hashes, which are all that is stored.
func NewRecoveryCodes(n int) (codes, hashes []string) {
	for range n {
		b := make([]byte, 7)
		rand.Read(b)
		c := recoveryEncoding.EncodeToString(b)[:10]
		codes = append(codes, c[:5]+"-"+c[5:])
		hashes = append(hashes, HashRecoveryCode(c))
	}
	return codes, hashes
}

// HashRecoveryCode hashes a recovery code as typed (blanks, dashes and case
// do not matter).
func HashRecoveryCode(code string) string { return HashSecret("recovery:" + NormalizeCode(code)) }
