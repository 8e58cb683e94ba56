package billing_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/billing"
	"github.com/cloudsage/cloudsage/internal/store"
)

func TestPlanOf(t *testing.T) {
	for _, tc := range []struct {
		a    store.Account
		want string
	}{
		{store.Account{}, "free"},
		{store.Account{Plan: "pro", Status: "active"}, "pro"},
		{store.Account{Plan: "pro", Status: "trialing"}, "pro"},
		{store.Account{Plan: "pro", Status: "past_due"}, "pro"},
		{store.Account{Plan: "pro", Status: "canceled"}, "free"},
		{store.Account{Plan: "pro", Status: "unpaid"}, "free"},
	} {
		if got := billing.PlanOf(tc.a).ID; got != tc.want {
			t.Errorf("PlanOf(%+v) = %s, want %s", tc.a, got, tc.want)
		}
	}
}

func signed(secret, id, typ, object string) ([]byte, string) {
	payload := fmt.Sprintf(`{"id":%q,"object":"event","api_version":%q,"type":%q,"data":{"object":%s}}`, id, stripe.APIVersion, typ, object)
	s := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(payload), Secret: secret})
	return s.Payload, s.Header
}

func TestParseWebhook(t *testing.T) {
	b := billing.New(billing.Config{SecretKey: "sk_test", WebhookSecret: "whsec_1", PricePro: "price_1"})
	body, sig := signed("whsec_1", "evt_1", "checkout.session.completed", `{"id":"cs_1","object":"checkout.session","client_reference_id":"7","customer":"cus_1","subscription":"sub_1"}`)
	ev, err := b.ParseWebhook(body, sig)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_1" || ev.User != 7 || ev.Change == nil || ev.Change.Plan != "pro" || ev.Change.CustomerID != "cus_1" || ev.Change.SubscriptionID != "sub_1" {
		t.Errorf("checkout event = %+v, change %+v", ev, ev.Change)
	}
	body, sig = signed("whsec_1", "evt_2", "customer.subscription.updated",
		`{"id":"sub_1","object":"subscription","customer":"cus_1","status":"past_due","items":{"object":"list","data":[{"id":"si_1","object":"subscription_item","current_period_end":1767225600}]}}`)
	if ev, err = b.ParseWebhook(body, sig); err != nil {
		t.Fatal(err)
	}
	if ev.Customer != "cus_1" || ev.Change.Status != "past_due" || ev.Change.PeriodEnd == nil || ev.Change.PeriodEnd.Unix() != 1767225600 {
		t.Errorf("subscription event = %+v, change %+v", ev, ev.Change)
	}
	body, sig = signed("whsec_1", "evt_3", "invoice.paid", `{"id":"in_1","object":"invoice"}`)
	if ev, err = b.ParseWebhook(body, sig); err != nil || ev.Change != nil {
		t.Errorf("an ignored event type = %+v, %v", ev, err)
	}
	for name, tc := range map[string][2]string{
		"other secret": {"whsec_2", `{"id":"cs","object":"checkout.session","client_reference_id":"7"}`},
		"no user":      {"whsec_1", `{"id":"cs","object":"checkout.session"}`},
	} {
		body, sig := signed(tc[0], "evt_x", "checkout.session.completed", tc[1])
		if _, err := b.ParseWebhook(body, sig); cloudsage.KindOf(err) != cloudsage.Invalid {
			t.Errorf("%s: err = %v, want Invalid", name, err)
		}
	}
	if _, err := b.ParseWebhook(body, strings.Replace(sig, "v1=", "v1=0", 1)); err == nil {
		t.Error("a tampered signature was accepted")
	}
}

func TestOff(t *testing.T) {
	if billing.New(billing.Config{}) != nil {
		t.Error("New without a secret key is not nil (off)")
	}
}

func TestLimit(t *testing.T) {
	err := billing.Limit(billing.Free, "the Free plan allows %d projects", 2)
	if cloudsage.KindOf(err) != cloudsage.PaymentRequired || !strings.Contains(cloudsage.MessageOf(err), "upgrade to Pro ($29/month)") {
		t.Errorf("Limit = %v", err)
	}
	if msg := cloudsage.MessageOf(billing.Limit(billing.Pro, "too many")); strings.Contains(msg, "upgrade") {
		t.Errorf("a Pro limit says upgrade: %q", msg)
	}
}
