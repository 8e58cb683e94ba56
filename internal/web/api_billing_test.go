package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

const whsec = "whsec_test_secret"

func billingOn(apiURL string) func(*config.Config) {
	return func(c *config.Config) {
		c.StripeSecretKey, c.StripeWebhookSecret, c.StripePricePro, c.StripeAPIURL = "sk_test_123", whsec, "price_pro", apiURL
		c.BaseURL = "http://cloudsage.test"
	}
}

// stripeEvent posts a Stripe event signed with secret to the webhook.
func stripeEvent(c *client, secret, id, typ, object string) resp {
	payload := fmt.Sprintf(`{"id":%q,"object":"event","api_version":%q,"type":%q,"data":{"object":%s}}`, id, stripe.APIVersion, typ, object)
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(payload), Secret: secret})
	return c.do("POST", "/api/billing/webhook", "application/json", bytes.NewReader(signed.Payload), "Stripe-Signature", signed.Header)
}

func planOf(t *testing.T, c *client) string {
	t.Helper()
	r := c.get("/api/billing")
	want(t, "billing", r, 200)
	return r.json(t)["plan"].(map[string]any)["id"].(string)
}

// TestBillingLimitsAndWebhooks: the free plan's limits answer 402 with a
// message; a signed checkout.session.completed makes the account Pro
// (limits lifted), a redelivery changes nothing, a bad signature is a
// 400, and a subscription deletion brings the free plan back.
func TestBillingLimitsAndWebhooks(t *testing.T) {
	e := start(t, openSQLite(t), billingOn("http://127.0.0.1:9"))
	ann := e.user("ann")
	annID := fmt.Sprint(ann.get("/api/auth/me").json(t)["user"].(map[string]any)["id"])
	p1 := ann.project("one")
	ann.project("two")
	r := ann.send("POST", "/api/projects", map[string]string{"name": "three"})
	want(t, "third project on free", r, http.StatusPaymentRequired)
	if msg := r.json(t)["error"].(string); !strings.Contains(msg, "Free plan allows 2 projects") || !strings.Contains(msg, "upgrade to Pro") {
		t.Errorf("limit message = %q", msg)
	}
	r = ann.send("PUT", "/api/projects/"+p1, map[string]any{"settings": map[string]any{"retention_days": 90}})
	want(t, "90-day retention on free", r, http.StatusPaymentRequired)
	for _, name := range []string{"bob", "cat", "dan"} {
		e.user(name)
	}
	want(t, "member bob", ann.send("PUT", "/api/projects/"+p1+"/members", map[string]string{"email": "bob@example.com", "role": "viewer"}), 200)
	want(t, "member cat", ann.send("PUT", "/api/projects/"+p1+"/members", map[string]string{"email": "cat@example.com", "role": "viewer"}), 200)
	want(t, "fourth member on free", ann.send("PUT", "/api/projects/"+p1+"/members", map[string]string{"email": "dan@example.com", "role": "viewer"}), http.StatusPaymentRequired)
	want(t, "role change at the limit", ann.send("PUT", "/api/projects/"+p1+"/members", map[string]string{"email": "cat@example.com", "role": "member"}), 200)
	// The daily ingest volume: a batch that would pass 200,000 events today.
	id, _ := strconv.ParseInt(p1, 10, 64)
	_, err := e.store.Ingest(context.Background(), cloudsage.ProjectID(id), 0, func(store.State) (store.Write, error) {
		return store.Write{Batch: store.Batch{Source: "test", Received: 199_990, Accepted: 199_990}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "ingest past the daily volume", ann.text("/api/ingest/"+p1, sampleLogs(20, "x")), http.StatusPaymentRequired)
	want(t, "ingest within it", ann.text("/api/ingest/"+p1, sampleLogs(5, "x")), 200)

	anon := e.client()
	want(t, "unsigned webhook", anon.do("POST", "/api/billing/webhook", "application/json", strings.NewReader(`{"id":"evt_x"}`)), 400)
	want(t, "wrongly signed webhook", stripeEvent(anon, "whsec_other", "evt_bad", "checkout.session.completed",
		`{"id":"cs_1","object":"checkout.session","client_reference_id":"`+annID+`","customer":"cus_ann","subscription":"sub_ann"}`), 400)
	if planOf(t, ann) != "free" {
		t.Fatal("a badly signed event changed the plan")
	}
	completed := `{"id":"cs_1","object":"checkout.session","client_reference_id":"` + annID + `","customer":"cus_ann","subscription":"sub_ann"}`
	r = stripeEvent(anon, whsec, "evt_1", "checkout.session.completed", completed)
	want(t, "checkout completed", r, 200)
	if r.json(t)["duplicate"] != false {
		t.Errorf("first delivery = %s", r.body)
	}
	if planOf(t, ann) != "pro" {
		t.Fatal("checkout.session.completed did not make ann Pro")
	}
	want(t, "third project on pro", ann.send("POST", "/api/projects", map[string]string{"name": "three"}), 201)
	want(t, "fourth member on pro", ann.send("PUT", "/api/projects/"+p1+"/members", map[string]string{"email": "dan@example.com", "role": "viewer"}), 200)
	want(t, "90-day retention on pro", ann.send("PUT", "/api/projects/"+p1, map[string]any{"settings": map[string]any{"retention_days": 90}}), 200)

	deleted := `{"id":"sub_ann","object":"subscription","customer":"cus_ann","status":"canceled"}`
	want(t, "subscription deleted", stripeEvent(anon, whsec, "evt_2", "customer.subscription.deleted", deleted), 200)
	if planOf(t, ann) != "free" {
		t.Fatal("customer.subscription.deleted did not end Pro")
	}
	// Redelivering the first event changes nothing: it was applied once.
	r = stripeEvent(anon, whsec, "evt_1", "checkout.session.completed", completed)
	want(t, "redelivered event", r, 200)
	if r.json(t)["duplicate"] != true || planOf(t, ann) != "free" {
		t.Errorf("redelivery = %s, plan %s; want a duplicate and free", r.body, planOf(t, ann))
	}
	want(t, "fourth project after Pro ended", ann.send("POST", "/api/projects", map[string]string{"name": "four"}), http.StatusPaymentRequired)
	// An event for a user this instance does not have is refused (Stripe retries it).
	want(t, "unknown user", stripeEvent(anon, whsec, "evt_3", "checkout.session.completed",
		`{"id":"cs_2","object":"checkout.session","client_reference_id":"999999","customer":"cus_x"}`), 400)
}

// TestBillingOff: without a secret key nothing is limited and the billing
// routes say billing is off.
func TestBillingOff(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	for i := range 3 {
		ann.project(fmt.Sprint("p", i))
	}
	r := ann.get("/api/billing")
	want(t, "billing off", r, 200)
	if r.json(t)["enabled"] != false {
		t.Errorf("billing off = %s", r.body)
	}
	want(t, "checkout off", ann.do("POST", "/api/billing/checkout", "", nil), 404)
	want(t, "webhook off", e.client().do("POST", "/api/billing/webhook", "application/json", strings.NewReader("{}")), 404)
}

// TestBillingStripeMock: Checkout and the customer portal through
// stripe-go against stripe-mock.
func TestBillingStripeMock(t *testing.T) {
	mock := testenv.StartStripeMock(t)
	e := start(t, openSQLite(t), billingOn(mock))
	ann := e.user("ann")
	annID := fmt.Sprint(ann.get("/api/auth/me").json(t)["user"].(map[string]any)["id"])
	want(t, "portal before subscribing", ann.do("POST", "/api/billing/portal", "", nil), 400)
	r := ann.do("POST", "/api/billing/checkout", "", nil)
	want(t, "checkout", r, 200)
	if u, _ := r.json(t)["url"].(string); !strings.HasPrefix(u, "http") {
		t.Errorf("checkout url = %s", r.body)
	}
	want(t, "checkout completed", stripeEvent(e.client(), whsec, "evt_1", "checkout.session.completed",
		`{"id":"cs_1","object":"checkout.session","client_reference_id":"`+annID+`","customer":"cus_ann","subscription":"sub_ann"}`), 200)
	r = ann.do("POST", "/api/billing/portal", "", nil)
	want(t, "portal", r, 200)
	if u, _ := r.json(t)["url"].(string); !strings.HasPrefix(u, "http") {
		t.Errorf("portal url = %s", r.body)
	}
	want(t, "checkout on pro", ann.do("POST", "/api/billing/checkout", "", nil), 409)
	// The account page's buttons: Pro goes on to the portal; a Free user to Checkout.
	r = ann.post("/account/billing/portal", url.Values{})
	if loc := r.hdr.Get("Location"); r.code != http.StatusSeeOther || !strings.HasPrefix(loc, "http") {
		t.Errorf("portal button = %d to %q; want 303 to Stripe", r.code, loc)
	}
	bob := e.user("bob")
	r = bob.post("/account/billing/checkout", url.Values{})
	if loc := r.hdr.Get("Location"); r.code != http.StatusSeeOther || !strings.HasPrefix(loc, "http") {
		t.Errorf("checkout button = %d to %q; want 303 to Stripe Checkout", r.code, loc)
	}
}
