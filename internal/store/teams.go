package store

import (
	"context"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
)

// InvitationID identifies an invitation.
type InvitationID int64

// DefaultInvitationTTL is how long an invitation link stays valid.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// Invitation asks someone, by email, to join a project with a role. Only
// the SHA-256 of the link's token is stored; the link works once.
type Invitation struct {
	ID             InvitationID        `json:"id"`
	ProjectID      cloudsage.ProjectID `json:"project_id"`
	ProjectName    string              `json:"project_name,omitempty"` // filled when read by hash
	Email          string              `json:"email"`
	Role           Role                `json:"role"`
	Hash           string              `json:"-"`
	CreatedBy      cloudsage.UserID    `json:"created_by,omitempty"`
	CreatedByEmail string              `json:"created_by_email,omitempty"` // filled when read
	CreatedAt      time.Time           `json:"created_at"`
	ExpiresAt      time.Time           `json:"expires_at"`
	AcceptedAt     *time.Time          `json:"accepted_at,omitempty"`
	AcceptedBy     cloudsage.UserID    `json:"accepted_by,omitempty"`
	RevokedAt      *time.Time          `json:"revoked_at,omitempty"`
}

// Usable returns nil when the invitation can be accepted at now, else a
// Conflict error that says plainly why not.
func (i Invitation) Usable(now time.Time) error {
	switch {
	case i.RevokedAt != nil:
		return cloudsage.Errorf(cloudsage.Conflict, "this invitation was revoked; ask a project admin for a new one")
	case i.AcceptedAt != nil:
		return cloudsage.Errorf(cloudsage.Conflict, "this invitation has already been used; ask a project admin for a new one")
	case !now.Before(i.ExpiresAt):
		return cloudsage.Errorf(cloudsage.Conflict, "this invitation expired on %s; ask a project admin for a new one",
			i.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return nil
}

// CommentID identifies a comment.
type CommentID int64

// Comment targets: the project's forecast, or one action ("action:" + its id).
const (
	CommentForecast     = "forecast"
	commentActionPrefix = "action:"
)

// CommentOnAction is the target of the comments on action id.
func CommentOnAction(id string) string { return commentActionPrefix + id }

// CommentAction returns the action id of an action target.
func CommentAction(target string) (string, bool) {
	return strings.CutPrefix(target, commentActionPrefix)
}

// MaxCommentBytes is the longest comment body.
const MaxCommentBytes = 4000

// Comment is a member's note on a project's forecast or on an action.
// Mentions are the members named with @ in the body.
type Comment struct {
	ID        CommentID           `json:"id"`
	ProjectID cloudsage.ProjectID `json:"project_id"`
	Target    string              `json:"target"`
	UserID    cloudsage.UserID    `json:"user_id"`
	Email     string              `json:"email"` // the author's, filled when read
	Body      string              `json:"body"`
	Mentions  []cloudsage.UserID  `json:"mentions"`
	CreatedAt time.Time           `json:"created_at"`
}

// TeamStore is the collaboration part of the store: invitations, member
// roles with the last-admin rule, and comments.
type TeamStore interface {
	// CreateInvitation stores inv (its Hash already computed; CreatedAt is
	// set by the store).
	CreateInvitation(ctx context.Context, inv Invitation) (Invitation, error)
	// Invitations lists a project's pending invitations (neither accepted
	// nor revoked; expired ones included), newest first.
	Invitations(ctx context.Context, project cloudsage.ProjectID) ([]Invitation, error)
	// InvitationByHash finds an invitation by its token's hash, whatever
	// its state, with its project's name.
	InvitationByHash(ctx context.Context, hash string) (Invitation, error)
	// RevokeInvitation revokes a pending invitation at now (NotFound when
	// the project has no such pending one).
	RevokeInvitation(ctx context.Context, project cloudsage.ProjectID, id InvitationID, now time.Time) (Invitation, error)
	// AcceptInvitation uses the invitation with hash for user at now, in one
	// transaction: it is marked used (once: a second use is a Conflict, as
	// are a revoked or expired one) and user becomes a member with its role,
	// or keeps a higher role they have already. It returns the invitation
	// and the member as they are now.
	AcceptInvitation(ctx context.Context, hash string, user cloudsage.UserID, now time.Time) (Invitation, Member, error)

	// ChangeMember sets an existing member's role and returns the member as
	// before the change (NotFound when not a member; Conflict when it would
	// leave the project without an admin).
	ChangeMember(ctx context.Context, project cloudsage.ProjectID, user cloudsage.UserID, role Role) (Member, error)

	// AddComment stores c (CreatedAt is set by the store).
	AddComment(ctx context.Context, c Comment) (Comment, error)
	// Comments lists a project's comments on target ("" for every target),
	// oldest first, at most limit (the newest ones; 0 means 200).
	Comments(ctx context.Context, project cloudsage.ProjectID, target string, limit int) ([]Comment, error)
}
