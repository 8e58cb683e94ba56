package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Sessions lists a user's unexpired sessions, most recently used first.
func (db *DB) Sessions(ctx context.Context, user cloudsage.UserID, now time.Time) ([]store.Session, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.user_id = $1 AND s.expires_at > $2 ORDER BY s.last_seen_at DESC, s.created_at DESC`, user, chunk.NS(now))
	if err != nil {
		return nil, db.wrap(err, "sessions")
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, db.wrap(err, "sessions")
		}
		out = append(out, s)
	}
	return out, db.wrap(rows.Err(), "sessions")
}

// TouchSession records a session's use.
func (db *DB) TouchSession(ctx context.Context, hash string, now time.Time, ip, ua string) error {
	_, err := db.W.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, ip = $3, user_agent = $4 WHERE hash = $1`, hash, chunk.NS(now), ip, ua)
	return db.wrap(err, "touch session")
}

// DeleteSessionByID ends one of the user's sessions by its public id.
func (db *DB) DeleteSessionByID(ctx context.Context, user cloudsage.UserID, id string) error {
	if len(id) != store.SessionIDLen {
		return store.NotFoundf("session not found")
	}
	res, err := db.W.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND substr(hash, 1, $2) = $3`, user, store.SessionIDLen, id)
	if err != nil {
		return db.wrap(err, "delete session")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.NotFoundf("session not found")
	}
	return nil
}

// DeleteUserSessions ends the user's sessions except keep.
func (db *DB) DeleteUserSessions(ctx context.Context, user cloudsage.UserID, keep string) (int64, error) {
	res, err := db.W.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND hash <> $2`, user, keep)
	if err != nil {
		return 0, db.wrap(err, "end sessions")
	}
	return res.RowsAffected()
}

// SetPassword replaces a user's password hash.
func (db *DB) SetPassword(ctx context.Context, user cloudsage.UserID, hash string) error {
	return db.updateUser(ctx, "set password", `UPDATE users SET password_hash = $2 WHERE id = $1`, user, hash)
}

// updateUser runs an UPDATE of one user row; no row is NotFound.
func (db *DB) updateUser(ctx context.Context, what, query string, args ...any) error {
	res, err := db.W.ExecContext(ctx, query, args...)
	if err != nil {
		return db.wrap(err, what)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.NotFoundf("user not found")
	}
	return nil
}

// CreateLoginToken stores t.
func (db *DB) CreateLoginToken(ctx context.Context, t store.LoginToken) error {
	var user any
	if t.UserID != 0 {
		user = t.UserID
	}
	_, err := db.W.ExecContext(ctx, `INSERT INTO login_tokens (hash, kind, email, user_id, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.Hash, t.Kind, t.Email, user, t.Data, chunk.NS(t.CreatedAt), chunk.NS(t.ExpiresAt))
	return db.wrap(err, "create login token")
}

const loginTokenCols = `hash, kind, email, user_id, data, created_at, expires_at`

func scanLoginToken(row *sql.Row) (store.LoginToken, error) {
	var t store.LoginToken
	var user sql.NullInt64
	var c, e int64
	err := row.Scan(&t.Hash, &t.Kind, &t.Email, &user, &t.Data, &c, &e)
	t.UserID, t.CreatedAt, t.ExpiresAt = cloudsage.UserID(user.Int64), chunk.FromNS(c), chunk.FromNS(e)
	return t, err
}

// LoginToken returns an unused, unexpired token.
func (db *DB) LoginToken(ctx context.Context, kind, hash string, now time.Time) (store.LoginToken, error) {
	t, err := scanLoginToken(db.W.QueryRowContext(ctx, `SELECT `+loginTokenCols+` FROM login_tokens
		WHERE hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3`, hash, kind, chunk.NS(now)))
	return t, db.wrap(err, "login token")
}

// UseLoginToken marks a token used in one statement, so only one caller wins.
func (db *DB) UseLoginToken(ctx context.Context, kind, hash string, now time.Time) (store.LoginToken, error) {
	t, err := scanLoginToken(db.W.QueryRowContext(ctx, `UPDATE login_tokens SET used_at = $3
		WHERE hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3 RETURNING `+loginTokenCols, hash, kind, chunk.NS(now)))
	return t, db.wrap(err, "login token")
}

// DeleteExpiredLoginTokens removes expired tokens (used ones go when they expire).
func (db *DB) DeleteExpiredLoginTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.W.ExecContext(ctx, `DELETE FROM login_tokens WHERE expires_at <= $1`, chunk.NS(now))
	if err != nil {
		return 0, db.wrap(err, "delete expired login tokens")
	}
	return res.RowsAffected()
}

// SetTOTPPending stores a second-factor secret being set up.
func (db *DB) SetTOTPPending(ctx context.Context, user cloudsage.UserID, secret string) error {
	return db.updateUser(ctx, "set pending totp", `UPDATE users SET totp_pending = $2 WHERE id = $1`, user, secret)
}

// EnableTOTP turns the second factor on with fresh recovery codes.
func (db *DB) EnableTOTP(ctx context.Context, user cloudsage.UserID, secret string, step int64, codes []string) error {
	return db.tx(ctx, "enable totp", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $2, totp_pending = '', totp_last_step = $3 WHERE id = $1`, user, secret, step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.NotFoundf("user not found")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, user); err != nil {
			return err
		}
		for _, h := range codes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash) VALUES ($1, $2)`, user, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// DisableTOTP turns the second factor off.
func (db *DB) DisableTOTP(ctx context.Context, user cloudsage.UserID) error {
	return db.tx(ctx, "disable totp", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = '', totp_pending = '', totp_last_step = 0 WHERE id = $1`, user); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, user)
		return err
	})
}

// UseTOTPStep moves the last used step forward; false if step is not later.
func (db *DB) UseTOTPStep(ctx context.Context, user cloudsage.UserID, step int64) (bool, error) {
	res, err := db.W.ExecContext(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, user, step)
	if err != nil {
		return false, db.wrap(err, "use totp code")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseRecoveryCode spends an unused recovery code.
func (db *DB) UseRecoveryCode(ctx context.Context, user cloudsage.UserID, hash string, now time.Time) error {
	res, err := db.W.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`, user, hash, chunk.NS(now))
	if err != nil {
		return db.wrap(err, "use recovery code")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.NotFoundf("recovery code not found or used")
	}
	return nil
}

// RecoveryCodesLeft counts unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, user cloudsage.UserID) (int, error) {
	var n int
	err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, user).Scan(&n)
	return n, db.wrap(err, "recovery codes")
}

// IdentityUser returns the account linked to an OIDC subject.
func (db *DB) IdentityUser(ctx context.Context, provider, subject string) (store.User, error) {
	u, err := scanUser(db.R.QueryRowContext(ctx, `SELECT `+prefixed("u.", userCols)+` FROM identities i JOIN users u ON u.id = i.user_id
		WHERE i.provider = $1 AND i.subject = $2`, provider, subject))
	return u, db.wrap(err, "identity")
}

// LinkIdentity links an OIDC subject to an account.
func (db *DB) LinkIdentity(ctx context.Context, id store.Identity) error {
	_, err := db.W.ExecContext(ctx, `INSERT INTO identities (provider, subject, user_id, email, created_at) VALUES ($1, $2, $3, $4, $5)`,
		id.Provider, id.Subject, id.UserID, id.Email, chunk.NS(db.Now()))
	return db.wrap(err, "link identity")
}

// prefixed qualifies each of a comma-separated column list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = p + c
	}
	return strings.Join(parts, ", ")
}
