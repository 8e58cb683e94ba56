package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Roles are the roles a members form offers, least privileged first.
var Roles = []store.Role{store.RoleViewer, store.RoleMember, store.RoleAdmin}

// MembersPage is a project's members, pending invitations and invite form.
type MembersPage struct {
	Layout
	Members     []MemberView
	Invitations []InvitationView
	NewInvite   *NewInviteView // the invitation just made: its link, shown once
	Error       string
	Email       string // the invite form's values
	Role        string
	Roles       []store.Role
	InviteURL   string
	Activity    []ActivityItem
}

// MemberView is one member on the members page.
type MemberView struct {
	UserID     cloudsage.UserID
	Email      string
	Role       store.Role
	JoinedAt   time.Time
	LastActive time.Time // zero: nothing recorded
	You        bool
	RoleURL    string
	RemoveURL  string
}

// InvitationView is one pending invitation.
type InvitationView struct {
	ID        store.InvitationID
	Email     string
	Role      store.Role
	Inviter   string
	Created   time.Time
	Expires   time.Time
	Expired   bool
	RevokeURL string
}

// NewInviteView is the invitation just made.
type NewInviteView struct {
	Email     string
	URL       string
	Mailed    bool
	MailError string
	Expires   time.Time
}

// InvitePage is where an invitation link leads.
type InvitePage struct {
	Layout
	ProjectName string
	Inviter     string
	Role        store.Role
	Email       string // the address invited
	Expires     time.Time
	Problem     string // why it cannot be accepted ("" when it can)
	SignedIn    bool
	AcceptURL   string
	LoginURL    string
	SignupURL   string
}

// ActivityItem is one line of a project's activity feed.
type ActivityItem struct {
	At   time.Time
	Who  string
	Text string
	Kind string
}

// CommentView is one comment.
type CommentView struct {
	ID   store.CommentID
	Who  string
	At   time.Time
	Body string
}

// TeamPanel is the project page's collaboration part: the forecast's
// comments, the comment form's target URL and the recent activity.
type TeamPanel struct {
	ForecastComments []CommentView
	CommentURL       string
	MembersURL       string
	Activity         []ActivityItem
}

// NewMembersPage builds the members page of project pr for user uid.
func NewMembersPage(lay Layout, ms []store.Member, invs []store.Invitation, uid cloudsage.UserID, now time.Time) MembersPage {
	pg := MembersPage{Layout: lay, Roles: Roles, Role: string(store.RoleMember)}
	id := lay.Project.ID
	pg.InviteURL = ProjectURL(id, "members/invite")
	for _, m := range ms {
		v := MemberView{UserID: m.UserID, Email: m.Email, Role: m.Role, JoinedAt: m.JoinedAt, You: m.UserID == uid}
		if m.LastActive != nil {
			v.LastActive = *m.LastActive
		}
		base := ProjectURL(id, "members/"+strconv.FormatInt(int64(m.UserID), 10))
		v.RoleURL, v.RemoveURL = base+"/role", base+"/remove"
		pg.Members = append(pg.Members, v)
	}
	for _, i := range invs {
		pg.Invitations = append(pg.Invitations, InvitationView{ID: i.ID, Email: i.Email, Role: i.Role, Inviter: i.CreatedByEmail,
			Created: i.CreatedAt, Expires: i.ExpiresAt, Expired: !now.Before(i.ExpiresAt),
			RevokeURL: ProjectURL(id, "members/invitations/"+strconv.FormatInt(int64(i.ID), 10)+"/revoke")})
	}
	return pg
}

// NewComments builds comment views.
func NewComments(cs []store.Comment) []CommentView {
	out := make([]CommentView, len(cs))
	for i, c := range cs {
		who := c.Email
		if who == "" {
			who = "a former member"
		}
		out[i] = CommentView{ID: c.ID, Who: who, At: c.CreatedAt, Body: c.Body}
	}
	return out
}

// NewActivityFeed builds the feed lines of a project's activity.
func NewActivityFeed(as []store.Activity) []ActivityItem {
	out := make([]ActivityItem, 0, len(as))
	for _, a := range as {
		who := a.ActorEmail
		if who == "" {
			who = "CloudSage"
		}
		if a.ActorToken != 0 {
			who += " (API token)"
		}
		out = append(out, ActivityItem{At: a.At, Who: who, Text: ActivityText(a.Kind, a.Detail), Kind: a.Kind})
	}
	return out
}

// ActivityText says in words what an activity entry of kind with detail
// records, after the actor's name.
func ActivityText(kind string, detail json.RawMessage) string {
	var d map[string]any
	_ = json.Unmarshal(detail, &d)
	str := func(k string) string {
		if v, ok := d[k]; ok && v != nil {
			switch v := v.(type) {
			case string:
				return v
			case float64:
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
			b, _ := json.Marshal(v)
			return string(b)
		}
		return ""
	}
	switch kind {
	case "member.joined":
		s := "joined as " + str("role")
		if by := str("invited_by"); by != "" {
			s += ", invited by " + by
		}
		return s
	case "member.set":
		return "gave " + str("email") + " the role " + str("role")
	case "member.role":
		return "changed the role of " + str("email") + " from " + str("previous") + " to " + str("role")
	case "member.removed":
		return "removed " + str("email") + " from the project"
	case "member.left":
		return "left the project"
	case "invitation.created":
		return "invited " + str("email") + " as " + str("role")
	case "invitation.revoked":
		return "revoked the invitation of " + str("email")
	case "action.status":
		what := str("action_id")
		if t := str("title"); t != "" {
			what = "“" + t + "”"
		}
		return "marked the action " + what + " " + strings.ReplaceAll(str("status"), "_", " ")
	case "action.reset":
		return "reopened the action " + str("action_id")
	case "comment.added":
		where := "the forecast"
		if id, ok := store.CommentAction(str("target")); ok {
			where = "the action " + id
		}
		return "commented on " + where
	case "project.settings":
		ch, _ := d["changes"].(map[string]any)
		keys := make([]string, 0, len(ch))
		for k := range ch {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			c, _ := ch[k].(map[string]any)
			parts[i] = fmt.Sprintf("%s %v → %v", strings.ReplaceAll(k, "_", " "), c["from"], c["to"])
		}
		return "changed the settings: " + strings.Join(parts, ", ")
	case "ingest":
		return "sent " + str("accepted") + " log lines (" + str("protocol") + "); risk " + str("label") + " at " + str("score")
	case "risk.label":
		return "sent logs that moved the risk from " + str("from") + " to " + str("to") + " (score " + str("score") + ")"
	case "token.created":
		return "created the API token " + str("name")
	case "token.revoked":
		return "revoked an API token"
	case "token.denied":
		return "was refused: the token " + str("token") + " lacks the " + str("needs") + " scope"
	}
	return kind
}

// SortCards orders the projects page by risk: highest score first,
// projects without data last, then by name.
func SortCards(cs []ProjectCard) {
	slices.SortStableFunc(cs, func(a, b ProjectCard) int {
		if an, bn := a.Updated.IsZero(), b.Updated.IsZero(); an != bn {
			if an {
				return 1
			}
			return -1
		}
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// OpenCritical counts the critical actions of a report (its JSON) that
// feedback has not hidden at now.
func OpenCritical(report []byte, statuses []store.ActionStatus, now time.Time) int {
	var rep struct {
		Actions []struct {
			ID       string `json:"id"`
			Priority string `json:"priority"`
		} `json:"actions"`
	}
	if json.Unmarshal(report, &rep) != nil {
		return 0
	}
	hidden := map[string]bool{}
	for _, s := range statuses {
		hidden[s.ActionID] = s.Hidden(now)
	}
	n := 0
	for _, a := range rep.Actions {
		if a.Priority == "critical" && !hidden[a.ID] {
			n++
		}
	}
	return n
}
