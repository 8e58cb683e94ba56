package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/mention"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/store"
)

// commentTarget is the comment target of the path: an action's
// ({actionId}) or the forecast's.
func commentTarget(r *http.Request) (string, error) {
	if r.PathValue("actionId") == "" {
		return store.CommentForecast, nil
	}
	id, err := actionID(r)
	if err != nil {
		return "", err
	}
	return store.CommentOnAction(id), nil
}

// GET /api/projects/{id}/forecast/comments and
// GET /api/projects/{id}/actions/{actionId}/comments: the comments, oldest first.
func (s *Server) commentList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	target, err := commentTarget(r)
	if err != nil {
		return err
	}
	cs, err := s.store.Comments(r.Context(), pr.ID, target, 0)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": cs})
	return nil
}

// POST /api/projects/{id}/forecast/comments and
// POST /api/projects/{id}/actions/{actionId}/comments {"body"}: members
// comment; "@name" or "@name@domain" mentions a member, who is notified on
// the project's email channels that send to them.
func (s *Server) commentCreate(w http.ResponseWriter, r *http.Request) error {
	pr, p, err := s.access(r, store.RoleMember)
	if err != nil {
		return err
	}
	target, err := commentTarget(r)
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c, notified, err := s.addComment(r, pr, p, target, in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"comment": c, "notified": notified})
	return nil
}

// addComment stores a comment by p on target, records it, and notifies
// the members it mentions; it returns the comment and how many
// notifications were queued.
func (s *Server) addComment(r *http.Request, pr store.Project, p auth.Principal, target, body string) (store.Comment, int, error) {
	ctx := r.Context()
	body = strings.TrimSpace(body)
	author := p.UserID
	if p.Token != nil {
		author = p.Token.CreatedBy
	}
	if body == "" || len(body) > store.MaxCommentBytes {
		return store.Comment{}, 0, cloudsage.Errorf(cloudsage.Invalid, "body must be 1 to %d bytes", store.MaxCommentBytes)
	}
	ms, err := s.store.Members(ctx, pr.ID)
	if err != nil {
		return store.Comment{}, 0, err
	}
	emails := make([]string, len(ms))
	for i, m := range ms {
		emails[i] = m.Email
	}
	var mentioned []store.Member
	for _, h := range mention.Handles(body) {
		if i, ok := mention.Match(h, emails); ok && ms[i].UserID != author {
			mentioned = append(mentioned, ms[i])
		}
	}
	c := store.Comment{ProjectID: pr.ID, Target: target, UserID: author, Body: body}
	for _, m := range mentioned {
		c.Mentions = append(c.Mentions, m.UserID)
	}
	if c, err = s.store.AddComment(ctx, c); err != nil {
		return c, 0, err
	}
	if u, err := s.store.UserByID(ctx, author); err == nil {
		c.Email = u.Email
	}
	names := make([]string, len(mentioned))
	for i, m := range mentioned {
		names[i] = m.Email
	}
	s.record(r, pr.ID, p, "comment.added", map[string]any{"comment_id": c.ID, "target": target, "mentions": names})
	notified, err := s.notifyMentions(ctx, pr, c, mentioned)
	if err != nil {
		// The comment is stored; a failed notification is logged, not returned.
		s.log.Error("mention notifications", "project_id", pr.ID, "comment_id", c.ID, "error", err)
	}
	return c, notified, nil
}

// notifyMentions queues a notification for each mentioned member on the
// project's email channels that send to them.
func (s *Server) notifyMentions(ctx context.Context, pr store.Project, c store.Comment, mentioned []store.Member) (int, error) {
	if s.notify == nil || len(mentioned) == 0 {
		return 0, nil
	}
	chs, err := s.store.Channels(ctx, pr.ID)
	if err != nil {
		return 0, err
	}
	what := "the forecast"
	if id, ok := store.CommentAction(c.Target); ok {
		what = "action " + id
		if t := s.actionTitle(ctx, pr, id); t != "" {
			what = "the action “" + t + "”"
		}
	}
	n := 0
	for _, m := range mentioned {
		ns, err := s.notify.Mention(ctx, pr, notify.ChannelsFor(chs, m.Email), c.Email, what, c.Body)
		if err != nil {
			return n, err
		}
		n += len(ns)
	}
	return n, nil
}
