package policy

import "time"

// Approval is what an approval policy (the built-in require_approval, or a
// rule's require_approval_if) asks for when it holds an action: Count
// distinct approvers (default 1) holding one of Roles (any actor the
// policy file gives a role to, when empty), whether the requester may
// approve their own request (default no), and how long the request stays
// open (default 24 h).
type Approval struct {
	Roles             []string      `json:"roles,omitempty"`
	Count             int           `json:"count"`
	AllowSelfApproval bool          `json:"allow_self_approval,omitempty"`
	Expiry            time.Duration `json:"expiry"`
}

// DefaultApprovalExpiry is how long an approval request stays open when
// the policy does not say.
const DefaultApprovalExpiry = 24 * time.Hour

// Held reports whether the decision holds the action for approval: it is
// not allowed, at least one failed result is an approval policy's (its
// Approval set), and every other result passed. A decision with any other
// failure is a plain denial.
func (d Decision) Held() bool {
	held := false
	for _, r := range d.Results {
		if r.Passed {
			continue
		}
		if r.Approval == nil {
			return false
		}
		held = true
	}
	return held
}

// Approvals returns the failed results that hold the action for approval,
// with what each asks for.
func (d Decision) Approvals() []Result {
	var out []Result
	for _, r := range d.Results {
		if !r.Passed && r.Approval != nil {
			out = append(out, r)
		}
	}
	return out
}

// Notify is the policy file's notify section: where new approval requests
// are announced.
type Notify struct {
	// WebhookURLEnv names the environment variable holding the webhook's
	// URL (a URL is a secret: it is never written in the file).
	WebhookURLEnv string `json:"webhook_url_env,omitempty"`
	// ConsoleURL is the console's base URL, for the link in the message
	// ("https://enact.example.com"); the link is <ConsoleURL>/ui/approvals/<id>.
	ConsoleURL string `json:"console_url,omitempty"`
}

// Notify returns the notify section (the zero value when absent).
func (p *Policy) Notify() Notify {
	if p == nil {
		return Notify{}
	}
	return p.notify
}
