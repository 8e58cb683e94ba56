package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Members lists a project's members with when they joined and their newest
// activity in the project.
func (db *DB) Members(ctx context.Context, id cloudsage.ProjectID) ([]store.Member, error) {
	return queryAll(ctx, db, "members", func(rows *sql.Rows) (store.Member, error) {
		var m store.Member
		var joined int64
		var last sql.NullInt64
		err := rows.Scan(&m.ProjectID, &m.UserID, &m.Email, &m.Role, &joined, &last)
		m.JoinedAt, m.LastActive = chunk.FromNS(joined), fromNullNS(last)
		return m, err
	}, `SELECT m.project_id, m.user_id, u.email, m.role, m.created_at,
		(SELECT MAX(a.created_at) FROM activity a WHERE a.project_id = m.project_id AND a.actor_user = m.user_id)
		FROM members m JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY m.user_id`, id)
}

// memberRole is user's role in project inside tx ("" when not a member).
func memberRole(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID, user cloudsage.UserID) (store.Role, error) {
	var role string
	err := tx.QueryRowContext(ctx, `SELECT role FROM members WHERE project_id = $1 AND user_id = $2`, project, user).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return store.Role(role), err
}

// keepAnAdmin refuses a change of a member from role cur to next ("" for
// removal) that would leave the project without an admin. The caller holds
// the project's state lock, so two admins cannot demote each other at once.
func keepAnAdmin(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID, cur, next store.Role) error {
	if cur != store.RoleAdmin || next == store.RoleAdmin {
		return nil
	}
	var admins int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE project_id = $1 AND role = 'admin'`, project).Scan(&admins); err != nil {
		return err
	}
	if admins <= 1 {
		what := "demoted"
		if next == "" {
			what = "removed"
		}
		return cloudsage.Errorf(cloudsage.Conflict, "the last admin of a project cannot be %s: make another member admin first", what)
	}
	return nil
}

// lockProject takes the project's state lock for a membership change;
// NotFound when the project does not exist.
func (db *DB) lockProject(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID) error {
	_, err := db.D.LockState(ctx, tx, project)
	if errors.Is(err, sql.ErrNoRows) {
		return store.NotFoundf("project not found")
	}
	return err
}

// SetMember adds a member or changes their role; see store.Store.
func (db *DB) SetMember(ctx context.Context, m store.Member) error {
	if !m.Role.Valid() {
		return cloudsage.Errorf(cloudsage.Invalid, "role must be admin, member or viewer")
	}
	return db.tx(ctx, "set member", func(tx *sql.Tx) error {
		if err := db.lockProject(ctx, tx, m.ProjectID); err != nil {
			return err
		}
		cur, err := memberRole(ctx, tx, m.ProjectID, m.UserID)
		if err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, m.ProjectID, cur, m.Role); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`, m.ProjectID, m.UserID, m.Role, chunk.NS(db.Now()))
		return err
	})
}

// ChangeMember sets an existing member's role; see store.TeamStore.
func (db *DB) ChangeMember(ctx context.Context, project cloudsage.ProjectID, user cloudsage.UserID, role store.Role) (store.Member, error) {
	if !role.Valid() {
		return store.Member{}, cloudsage.Errorf(cloudsage.Invalid, "role must be admin, member or viewer")
	}
	var before store.Member
	err := db.tx(ctx, "change member", func(tx *sql.Tx) error {
		if err := db.lockProject(ctx, tx, project); err != nil {
			return err
		}
		var err error
		if before, err = memberIn(ctx, tx, project, user); err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, project, before.Role, role); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE members SET role = $3 WHERE project_id = $1 AND user_id = $2`, project, user, role)
		return err
	})
	return before, err
}

// memberIn reads a member inside tx (NotFound when not a member).
func memberIn(ctx context.Context, tx *sql.Tx, project cloudsage.ProjectID, user cloudsage.UserID) (store.Member, error) {
	m := store.Member{ProjectID: project, UserID: user}
	var joined int64
	err := tx.QueryRowContext(ctx, `SELECT u.email, m.role, m.created_at FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.project_id = $1 AND m.user_id = $2`, project, user).Scan(&m.Email, &m.Role, &joined)
	if errors.Is(err, sql.ErrNoRows) {
		return m, store.NotFoundf("member not found")
	}
	m.JoinedAt = chunk.FromNS(joined)
	return m, err
}

// RemoveMember removes a member; see store.Store.
func (db *DB) RemoveMember(ctx context.Context, project cloudsage.ProjectID, user cloudsage.UserID) (store.Member, error) {
	var before store.Member
	err := db.tx(ctx, "remove member", func(tx *sql.Tx) error {
		if err := db.lockProject(ctx, tx, project); err != nil {
			return err
		}
		var err error
		if before, err = memberIn(ctx, tx, project, user); err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, project, before.Role, ""); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM members WHERE project_id = $1 AND user_id = $2`, project, user)
		return err
	})
	return before, err
}

const invitationCols = `i.id, i.project_id, p.name, i.email, i.role, i.hash, i.created_by, COALESCE(u.email, ''),
	i.created_at, i.expires_at, i.accepted_at, i.accepted_by, i.revoked_at`

const invitationFrom = ` FROM invitations i JOIN projects p ON p.id = i.project_id LEFT JOIN users u ON u.id = i.created_by`

func scanInvitation(row interface{ Scan(...any) error }) (store.Invitation, error) {
	var i store.Invitation
	var by, acceptedBy, accepted, revoked sql.NullInt64
	var created, expires int64
	err := row.Scan(&i.ID, &i.ProjectID, &i.ProjectName, &i.Email, &i.Role, &i.Hash, &by, &i.CreatedByEmail,
		&created, &expires, &accepted, &acceptedBy, &revoked)
	i.CreatedBy, i.AcceptedBy = cloudsage.UserID(by.Int64), cloudsage.UserID(acceptedBy.Int64)
	i.CreatedAt, i.ExpiresAt = chunk.FromNS(created), chunk.FromNS(expires)
	i.AcceptedAt, i.RevokedAt = fromNullNS(accepted), fromNullNS(revoked)
	return i, err
}

// CreateInvitation stores an invitation; see store.TeamStore.
func (db *DB) CreateInvitation(ctx context.Context, inv store.Invitation) (store.Invitation, error) {
	if !inv.Role.Valid() {
		return inv, cloudsage.Errorf(cloudsage.Invalid, "role must be admin, member or viewer")
	}
	if inv.Hash == "" || inv.ExpiresAt.IsZero() {
		return inv, errors.New("create invitation: hash and expiry are required")
	}
	inv.Email = strings.ToLower(strings.TrimSpace(inv.Email))
	inv.CreatedAt = db.Now().UTC()
	var by any
	if inv.CreatedBy != 0 {
		by = inv.CreatedBy
	}
	err := db.W.QueryRowContext(ctx, `INSERT INTO invitations (project_id, email, role, hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, inv.ProjectID, inv.Email, inv.Role, inv.Hash, by,
		chunk.NS(inv.CreatedAt), chunk.NS(inv.ExpiresAt)).Scan(&inv.ID)
	return inv, db.wrap(err, "create invitation")
}

// Invitations lists a project's pending invitations, newest first.
func (db *DB) Invitations(ctx context.Context, project cloudsage.ProjectID) ([]store.Invitation, error) {
	return queryAll(ctx, db, "invitations", func(rows *sql.Rows) (store.Invitation, error) { return scanInvitation(rows) },
		`SELECT `+invitationCols+invitationFrom+` WHERE i.project_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
		ORDER BY i.id DESC`, project)
}

// InvitationByHash finds an invitation by its token's hash.
func (db *DB) InvitationByHash(ctx context.Context, hash string) (store.Invitation, error) {
	i, err := scanInvitation(db.R.QueryRowContext(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return i, store.NotFoundf("this invitation link is not valid: check that it was copied whole")
	}
	return i, db.wrap(err, "invitation")
}

// RevokeInvitation revokes a pending invitation.
func (db *DB) RevokeInvitation(ctx context.Context, project cloudsage.ProjectID, id store.InvitationID, now time.Time) (store.Invitation, error) {
	var inv store.Invitation
	err := db.tx(ctx, "revoke invitation", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET revoked_at = $3
			WHERE project_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL`, project, id, chunk.NS(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.NotFoundf("no pending invitation %d", id)
		}
		inv, err = scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.id = $1`, id))
		return err
	})
	return inv, err
}

// AcceptInvitation uses an invitation once; see store.TeamStore.
func (db *DB) AcceptInvitation(ctx context.Context, hash string, user cloudsage.UserID, now time.Time) (store.Invitation, store.Member, error) {
	var inv store.Invitation
	var m store.Member
	err := db.tx(ctx, "accept invitation", func(tx *sql.Tx) error {
		var err error
		inv, err = scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.hash = $1`, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return store.NotFoundf("this invitation link is not valid: check that it was copied whole")
		}
		if err != nil {
			return err
		}
		if err := inv.Usable(now); err != nil {
			return err
		}
		// The condition makes the link single-use even when two people
		// press Accept at the same moment: one update wins.
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_at = $2, accepted_by = $3
			WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL`, inv.ID, chunk.NS(now), user)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return cloudsage.Errorf(cloudsage.Conflict, "this invitation has already been used; ask a project admin for a new one")
		}
		inv.AcceptedAt, inv.AcceptedBy = &now, user
		cur, err := memberRole(ctx, tx, inv.ProjectID, user)
		if err != nil {
			return err
		}
		switch {
		case cur == "":
			_, err = tx.ExecContext(ctx, `INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
				inv.ProjectID, user, inv.Role, chunk.NS(now))
		case !cur.Allows(inv.Role):
			_, err = tx.ExecContext(ctx, `UPDATE members SET role = $3 WHERE project_id = $1 AND user_id = $2`, inv.ProjectID, user, inv.Role)
		}
		if err != nil {
			return err
		}
		m, err = memberIn(ctx, tx, inv.ProjectID, user)
		return err
	})
	return inv, m, err
}

// AddComment stores a comment.
func (db *DB) AddComment(ctx context.Context, c store.Comment) (store.Comment, error) {
	if strings.TrimSpace(c.Body) == "" || len(c.Body) > store.MaxCommentBytes {
		return c, cloudsage.Errorf(cloudsage.Invalid, "a comment must be 1 to %d bytes", store.MaxCommentBytes)
	}
	if c.Target == "" || len(c.Target) > 200 {
		return c, cloudsage.Errorf(cloudsage.Invalid, "a comment needs a target: the forecast or an action")
	}
	c.CreatedAt = db.Now().UTC()
	ids := make([]string, len(c.Mentions))
	for i, id := range c.Mentions {
		ids[i] = strconv.FormatInt(int64(id), 10)
	}
	err := db.W.QueryRowContext(ctx, `INSERT INTO comments (project_id, target, user_id, body, mentions, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.ProjectID, c.Target, c.UserID, c.Body, strings.Join(ids, ","),
		chunk.NS(c.CreatedAt)).Scan(&c.ID)
	if c.Mentions == nil {
		c.Mentions = []cloudsage.UserID{}
	}
	return c, db.wrap(err, "add comment")
}

// Comments lists a project's comments on target, oldest first.
func (db *DB) Comments(ctx context.Context, project cloudsage.ProjectID, target string, limit int) ([]store.Comment, error) {
	if limit <= 0 {
		limit = 200
	}
	where, args := `c.project_id = $1`, []any{project}
	if target != "" {
		where += ` AND c.target = $2`
		args = append(args, target)
	}
	args = append(args, limit)
	cs, err := queryAll(ctx, db, "comments", func(rows *sql.Rows) (store.Comment, error) {
		var c store.Comment
		var user sql.NullInt64
		var mentions string
		var at int64
		err := rows.Scan(&c.ID, &c.ProjectID, &c.Target, &user, &c.Email, &c.Body, &mentions, &at)
		c.UserID, c.CreatedAt = cloudsage.UserID(user.Int64), chunk.FromNS(at)
		c.Mentions = []cloudsage.UserID{}
		for _, f := range strings.Split(mentions, ",") {
			if n, err := strconv.ParseInt(f, 10, 64); err == nil {
				c.Mentions = append(c.Mentions, cloudsage.UserID(n))
			}
		}
		return c, err
	}, `SELECT c.id, c.project_id, c.target, c.user_id, COALESCE(u.email, ''), c.body, c.mentions, c.created_at
		FROM comments c LEFT JOIN users u ON u.id = c.user_id WHERE `+where+` ORDER BY c.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	slices.Reverse(cs) // the newest limit, shown oldest first
	return cs, err
}
