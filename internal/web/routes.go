package web

import "net/http"

// routes lists every route of the server. Pages (page_*.go, issue 5) are
// added in the pages block.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	a := s.api

	// Accounts.
	mux.Handle("POST /api/auth/register", a(s.register))
	mux.Handle("POST /api/auth/login", a(s.login))
	mux.Handle("POST /api/auth/logout", a(s.logout))
	mux.Handle("GET /api/auth/me", a(s.me))
	mux.Handle("GET /api/auth/methods", a(s.signInMethods))
	mux.Handle("POST /api/auth/magic-link", a(s.magicLinkRequest))
	mux.Handle("POST /api/auth/magic-link/verify", a(s.magicLinkVerify))
	mux.Handle("POST /api/auth/2fa/verify", a(s.secondFactorVerify))
	mux.Handle("GET /api/auth/2fa", a(s.twoFactorShow))
	mux.Handle("POST /api/auth/2fa/setup", a(s.twoFactorSetupPost))
	mux.Handle("POST /api/auth/2fa/enable", a(s.twoFactorEnable))
	mux.Handle("POST /api/auth/2fa/disable", a(s.twoFactorDisable))
	mux.Handle("POST /api/auth/password", a(s.passwordChange))
	mux.Handle("GET /api/auth/sessions", a(s.sessionList))
	mux.Handle("POST /api/auth/sessions/revoke-others", a(s.sessionRevokeOthers))
	mux.Handle("DELETE /api/auth/sessions/{sid}", a(s.sessionRevoke))

	// Projects, members, tokens.
	mux.Handle("GET /api/projects", a(s.projectList))
	mux.Handle("POST /api/projects", a(s.projectCreate))
	mux.Handle("GET /api/projects/{id}", a(s.projectShow))
	mux.Handle("PUT /api/projects/{id}", a(s.projectUpdate))
	mux.Handle("DELETE /api/projects/{id}", a(s.projectDelete))
	mux.Handle("GET /api/projects/{id}/members", a(s.memberList))
	mux.Handle("PUT /api/projects/{id}/members", a(s.memberSet))
	mux.Handle("PUT /api/projects/{id}/members/{userId}", a(s.memberUpdate))
	mux.Handle("DELETE /api/projects/{id}/members/{userId}", a(s.memberRemove))
	mux.Handle("GET /api/projects/{id}/invitations", a(s.invitationList))
	mux.Handle("POST /api/projects/{id}/invitations", a(s.invitationCreate))
	mux.Handle("DELETE /api/projects/{id}/invitations/{iid}", a(s.invitationDelete))
	mux.Handle("POST /api/invitations/accept", a(s.invitationAccept))
	mux.Handle("GET /api/projects/{id}/tokens", a(s.tokenList))
	mux.Handle("POST /api/projects/{id}/tokens", a(s.tokenCreate))
	mux.Handle("DELETE /api/projects/{id}/tokens/{tokenId}", a(s.tokenDelete))
	mux.Handle("GET /api/projects/{id}/activity", a(s.activityList))
	mux.Handle("GET /api/projects/{id}/stream", a(s.projectStream))

	// Ingestion, logs, patterns.
	mux.Handle("POST /api/ingest", a(s.ingestByToken))
	mux.Handle("POST /api/ingest/{id}", a(s.ingestPost))
	mux.Handle("GET /api/ingest/{id}", a(s.ingestList))
	mux.Handle("GET /api/projects/{id}/logs", a(s.logList))
	mux.Handle("GET /api/projects/{id}/logs/facets", a(s.logFacetList))
	mux.Handle("GET /api/projects/{id}/searches", a(s.searchList))
	mux.Handle("POST /api/projects/{id}/searches", a(s.searchCreate))
	mux.Handle("DELETE /api/projects/{id}/searches/{searchId}", a(s.searchDelete))
	mux.Handle("GET /api/projects/{id}/patterns", a(s.patternList))
	mux.Handle("GET /api/projects/{id}/export", a(s.exportTable))
	mux.Handle("GET /api/projects/{id}/report.pdf", a(s.reportPDF))

	// Log shippers' own protocols (ship_*.go), authenticated by API token.
	mux.HandleFunc("POST /v1/logs", s.otlpLogs)
	mux.HandleFunc("POST /loki/api/v1/push", s.lokiPush)
	mux.HandleFunc("GET /loki/api/v1/status/buildinfo", s.lokiReady)
	s.esRoutes(mux)

	// Forecasts, actions, analytics.
	mux.Handle("GET /api/forecast/{id}", a(s.forecastShow))
	mux.Handle("GET /api/forecast/{id}/history", a(s.forecastHistory))
	mux.Handle("GET /api/forecast/{id}/accuracy", a(s.forecastAccuracy))
	mux.Handle("GET /api/forecast/{id}/risk-history", a(s.riskHistory))
	mux.Handle("GET /api/projects/{id}/actions", a(s.actionList))
	mux.Handle("POST /api/projects/{id}/actions/{actionId}", a(s.actionSet))
	mux.Handle("DELETE /api/projects/{id}/actions/{actionId}", a(s.actionDelete))
	mux.Handle("GET /api/projects/{id}/actions/{actionId}/comments", a(s.commentList))
	mux.Handle("POST /api/projects/{id}/actions/{actionId}/comments", a(s.commentCreate))
	mux.Handle("GET /api/projects/{id}/forecast/comments", a(s.commentList))
	mux.Handle("POST /api/projects/{id}/forecast/comments", a(s.commentCreate))
	mux.Handle("GET /api/projects/{id}/learning", a(s.learningShow))
	mux.Handle("GET /api/projects/{id}/learning/state", a(s.learningState))
	mux.Handle("GET /api/projects/{id}/overrides", a(s.overrideList))
	mux.Handle("POST /api/projects/{id}/overrides", a(s.overrideSet))
	mux.Handle("DELETE /api/projects/{id}/overrides/{kind}/{target}", a(s.overrideDelete))
	mux.Handle("GET /api/projects/{id}/incidents", a(s.incidentList))
	mux.Handle("GET /api/projects/{id}/incidents/{incidentId}", a(s.incidentShow))
	mux.Handle("PUT /api/projects/{id}/incidents/{incidentId}", a(s.incidentUpdate))
	mux.Handle("GET /api/analytics/trends", a(s.analyticsTrends))

	// Notifications (api_notify.go).
	mux.Handle("GET /api/projects/{id}/channels", a(s.channelList))
	mux.Handle("POST /api/projects/{id}/channels", a(s.channelCreate))
	mux.Handle("PUT /api/projects/{id}/channels/{cid}", a(s.channelUpdate))
	mux.Handle("DELETE /api/projects/{id}/channels/{cid}", a(s.channelDelete))
	mux.Handle("POST /api/projects/{id}/channels/{cid}/test", a(s.channelTest))
	mux.Handle("GET /api/projects/{id}/rules", a(s.ruleList))
	mux.Handle("POST /api/projects/{id}/rules", a(s.ruleCreate))
	mux.Handle("PUT /api/projects/{id}/rules/{rid}", a(s.ruleUpdate))
	mux.Handle("DELETE /api/projects/{id}/rules/{rid}", a(s.ruleDelete))
	mux.Handle("GET /api/projects/{id}/notifications", a(s.notificationList))

	// The optional paid plan (api_billing.go).
	mux.Handle("GET /api/billing", a(s.billingShow))
	mux.Handle("POST /api/billing/checkout", a(s.billingCheckout))
	mux.Handle("POST /api/billing/portal", a(s.billingPortal))
	mux.Handle("POST /api/billing/webhook", a(s.billingWebhook))

	// Operations.
	mux.Handle("GET /api/status", a(s.status))
	mux.Handle("GET /api/vultr/status", a(s.status))
	mux.Handle("GET /healthz", a(s.healthz))
	mux.Handle("GET /readyz", a(s.readyz))
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.Handle("/api/", a(s.notFound))

	// Pages (issue 5): page_*.go.
	s.pageRoutes(mux)

	return s.observe(secureHeaders(s.cors(s.crossOrigin(s.flushAfterWrites(s.esIndexBulk(mux))))))
}
