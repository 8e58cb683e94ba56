package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// projectLayout is the layout of one of a project's tab pages, for user u.
func (s *Server) projectLayout(title, tab string, pr store.Project, u store.User) ui.Layout {
	return ui.Layout{Title: title, User: u.Email, Project: &ui.ProjectRef{ID: pr.ID, Name: pr.Name, Role: pr.Role}, Tab: tab, Now: s.now()}
}

// pageState is what the dashboard's pages share: the parsed templates and
// static files, and the hub that carries live updates to open pages.
type pageState struct {
	ui  *ui.Renderer
	hub ui.Hub
}

// pageFunc is a page handler: it loads, fills a view model and renders, or
// returns an error that page turns into an HTML answer.
type pageFunc func(w http.ResponseWriter, r *http.Request) error

// page adapts a pageFunc: a missing login redirects to /login, any other
// error renders the error page (htmx requests get the same status, which
// htmx does not swap).
func (s *Server) page(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, ok := r.Context().Value(reqInfoKey).(*reqInfo); ok {
			ri.route = r.Pattern
		}
		if err := f(w, r); err != nil {
			s.pageError(w, r, err)
		}
	})
}

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	k := cloudsage.KindOf(err)
	if errors.Is(err, errNeed2FA) {
		seeOther(w, r, "/account")
		return
	}
	if k == cloudsage.Unauthorized {
		to := "/login"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			to += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		if r.Header.Get("HX-Request") != "" {
			w.Header().Set("HX-Redirect", to)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	_, code := s.failure(r, "page failed", err)
	rid := requestID(r.Context())
	pg := ui.ErrorPage{Layout: ui.Layout{Title: "Error", Now: s.now()}, Status: code, Message: cloudsage.MessageOf(err), RequestID: rid}
	if p, err := s.user(r); err == nil {
		if u, err := s.store.UserByID(r.Context(), p.UserID); err == nil {
			pg.User = u.Email
		}
	}
	if err := s.pages.ui.Page(w, code, "error", pg); err != nil {
		s.log.Error("render error page", "request_id", rid, "error", err)
		http.Error(w, cloudsage.MessageOf(err), code)
	}
}

// pageUser returns the logged-in user (not an API token) of a page request.
func (s *Server) pageUser(r *http.Request) (auth.Principal, store.User, error) {
	p, err := s.user(r)
	if err != nil {
		if cloudsage.KindOf(err) == cloudsage.Forbidden && !errors.Is(err, errNeed2FA) {
			err = cloudsage.Errorf(cloudsage.Unauthorized, "log in to see this page")
		}
		return p, store.User{}, err
	}
	u, err := s.store.UserByID(r.Context(), p.UserID)
	if store.IsNotFound(err) {
		return p, u, cloudsage.Errorf(cloudsage.Unauthorized, "log in again")
	}
	return p, u, err
}

// pageProject returns the project named by the path for a logged-in user
// with at least role min, and the user.
func (s *Server) pageProject(r *http.Request, min store.Role) (store.Project, store.User, error) {
	p, err := s.user(r)
	if err != nil {
		_, u, err := s.pageUser(r) // its error
		return store.Project{}, u, err
	}
	// The session is read once, and the user and the project at once.
	r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	var u store.User
	var uerr error
	done := make(chan struct{})
	go func() { defer close(done); u, uerr = s.userByID(r.Context(), p.UserID) }()
	pr, _, err := s.access(r, min)
	<-done
	if store.IsNotFound(uerr) {
		return store.Project{}, u, cloudsage.Errorf(cloudsage.Unauthorized, "log in again")
	}
	if uerr != nil {
		return store.Project{}, u, uerr
	}
	return pr, u, err
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// localPath returns next if it is a path on this site, else def.
func localPath(next, def string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return def
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return def
	}
	return next
}

// seeOther redirects after a form post (303), or tells htmx to.
func seeOther(w http.ResponseWriter, r *http.Request, to string) {
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// parseForm reads a posted form of at most 64 KiB into r.PostForm.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	return nil
}

// formError is the application error for an unreadable or too large form.
func formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return cloudsage.Errorf(cloudsage.TooLarge, "form larger than the limit")
	}
	return cloudsage.Errorf(cloudsage.Invalid, "unreadable form")
}

// pageRoutes registers the dashboard's pages and their static files.
func (s *Server) pageRoutes(mux *http.ServeMux) {
	s.pages = pageState{ui: ui.MustNew(), hub: ui.NewBroker()}
	p := s.page
	mux.Handle("GET /static/", s.pages.ui.Static())
	mux.Handle("GET /{$}", s.esRootOr(p(s.pageHome))) // with credentials: Elasticsearch's version probe
	mux.Handle("GET /login", p(s.pageLogin))
	mux.Handle("POST /login", p(s.pageLoginPost))
	mux.Handle("GET /register", p(s.pageRegister))
	mux.Handle("POST /register", p(s.pageRegisterPost))
	mux.Handle("POST /logout", p(s.pageLogout))
	mux.Handle("POST /account/billing/checkout", p(s.pageBillingCheckout))
	mux.Handle("POST /account/billing/portal", p(s.pageBillingPortal))
	mux.Handle("GET /projects", p(s.pageProjects))
	mux.Handle("POST /projects", p(s.pageProjectCreate))
	mux.Handle("GET /projects/{id}", p(s.pageProjectShow))
	mux.Handle("GET /projects/{id}/panel/{panel}", p(s.pageProjectPanel))
	mux.Handle("POST /projects/{id}/actions/{actionId}", p(s.pageActionSet))
	mux.Handle("GET /projects/{id}/live", p(s.pageLive))
	mux.Handle("GET /projects/{id}/ingest", p(s.pageIngest))
	mux.Handle("POST /projects/{id}/ingest", p(s.pageIngestPost))
	mux.Handle("POST /projects/{id}/ingest/sample", p(s.pageIngestSample))
	mux.Handle("GET /projects/{id}/logs", p(s.pageLogs))
	mux.Handle("POST /projects/{id}/searches", p(s.pageSearchSave))
	mux.Handle("POST /projects/{id}/searches/{searchId}/delete", p(s.pageSearchDelete))
	mux.Handle("GET /projects/{id}/settings", p(s.pageSettings))
	mux.Handle("POST /projects/{id}/settings", p(s.pageSettingsSave))
	mux.Handle("POST /projects/{id}/settings/tokens", p(s.pageTokenCreate))
	mux.Handle("POST /projects/{id}/settings/tokens/{tokenId}/revoke", p(s.pageTokenRevoke))
	mux.Handle("POST /projects/{id}/settings/channels", p(s.pageChannelCreate))
	mux.Handle("POST /projects/{id}/settings/channels/{cid}/test", p(s.pageChannelTest))
	mux.Handle("POST /projects/{id}/settings/channels/{cid}/delete", p(s.pageChannelDelete))
	mux.Handle("POST /projects/{id}/settings/rules", p(s.pageRuleCreate))
	mux.Handle("POST /projects/{id}/settings/rules/{rid}/delete", p(s.pageRuleDelete))
	mux.Handle("POST /projects/{id}/settings/overrides", p(s.pageOverrideSet))
	mux.Handle("POST /projects/{id}/settings/overrides/delete", p(s.pageOverrideDelete))
	mux.Handle("POST /projects/{id}/incidents/{incidentId}", p(s.pageIncidentUpdate))
	mux.Handle("POST /projects/{id}/delete", p(s.pageProjectDelete))
	s.accountRoutes(mux) // page_account.go
	mux.Handle("GET /projects/{id}/members", p(s.pageMembers))
	mux.Handle("POST /projects/{id}/members/invite", p(s.pageInvite))
	mux.Handle("POST /projects/{id}/members/invitations/{iid}/revoke", p(s.pageInvitationRevoke))
	mux.Handle("POST /projects/{id}/members/{userId}/role", p(s.pageMemberRole))
	mux.Handle("POST /projects/{id}/members/{userId}/remove", p(s.pageMemberRemove))
	mux.Handle("POST /projects/{id}/comments", p(s.pageCommentCreate))
	mux.Handle("GET /invite/{token}", p(s.pageInvitation))
	mux.Handle("POST /invite/{token}", p(s.pageInvitationAccept))
}
