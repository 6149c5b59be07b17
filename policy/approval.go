package policy

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

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

// Bounds of the approval parameters.
const (
	maxApprovals      = 10
	minApprovalExpiry = time.Minute
	maxApprovalExpiry = 720 * time.Hour
)

// approvalOf builds what an approval policy asks for from its decoded
// parameters (approvalParams); an absent parameter takes its default.
func approvalOf(v params) Approval {
	get := func(name string) any {
		if x, ok := v[name]; ok {
			return x
		}
		for _, p := range approvalParams {
			if p.name == name {
				return p.def
			}
		}
		panic("policy: unknown approval parameter " + name)
	}
	var roles []string
	for _, r := range get("approver_roles").([]string) {
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return Approval{
		Roles:             roles,
		Count:             int(get("approvals").(int64)),
		AllowSelfApproval: get("allow_self_approval").(bool),
		Expiry:            get("expires_after").(time.Duration),
	}
}

// needs says who must approve: "needs 1 approval from role maintainer
// (expires after 24h)".
func (a Approval) needs() string {
	var b strings.Builder
	fmt.Fprintf(&b, "needs %d %s from ", a.Count, plural(int64(a.Count), "approval"))
	switch len(a.Roles) {
	case 0:
		b.WriteString("any actor the policy file gives a role")
	case 1:
		b.WriteString("role " + a.Roles[0])
	default:
		b.WriteString("roles " + strings.Join(a.Roles, ", "))
	}
	b.WriteString(" (expires after " + fmtDuration(a.Expiry))
	if a.AllowSelfApproval {
		b.WriteString("; self-approval allowed")
	}
	b.WriteString(")")
	return b.String()
}

// held is the failed result of an approval policy whose condition holds.
// Each result gets its own copy of the Approval: callers may change it.
func held(policy, reason string, a *Approval) Result {
	c := *a
	c.Roles = slices.Clone(a.Roles)
	if reason == "" {
		reason = c.needs()
	} else {
		reason += ": " + c.needs()
	}
	return Result{Policy: policy, Reason: reason, Approval: &c}
}

// fmtDuration writes a duration without its zero trailing units: 24h,
// 1h30m, 90s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// approvalCheck is a configured require_approval.
type approvalCheck struct {
	when     *expr // nil: always
	approval Approval
}

// resultDecider is a check whose result carries more than passed and a
// reason.
type resultDecider interface {
	result(c *evalCtx, name string) Result
}

func (a approvalCheck) decide(c *evalCtx) (bool, string) {
	r := a.result(c, requireApproval)
	return r.Passed, r.Reason
}

// result holds the action when when is absent or true. A when that cannot
// be evaluated fails closed as a plain denial: no approval can let through
// an action the policy could not judge.
func (a approvalCheck) result(c *evalCtx, name string) Result {
	if a.when != nil {
		ok, problem := a.when.eval(c.activation())
		if problem != "" {
			return Result{Policy: name, Reason: problem}
		}
		if !ok {
			return Result{Policy: name, Passed: true, Reason: "no approval needed: when is false: " + shortExpr(a.when.src)}
		}
	}
	return held(name, "", &a.approval)
}

// notifySection decodes the notify section.
func (d *decoder) notifySection(n *yaml.Node) Notify {
	var out Notify
	fs, ok := d.fields(n, "notify", "webhook_url_env", "console_url")
	if !ok {
		return out
	}
	if f, has := fs["webhook_url_env"]; !has {
		d.failf(n, "notify: webhook_url_env is required (the environment variable that holds the webhook's URL)")
	} else if s, ok := d.nonEmpty(f.val, "notify.webhook_url_env"); ok {
		if !varNameRE.MatchString(s) {
			// The value is not quoted: it may be the URL, a secret.
			d.failf(f.val, "notify.webhook_url_env must name an environment variable (letters, digits and _, not starting with a digit, at most 128); "+
				"the URL itself is a secret and stays in that variable")
		} else {
			out.WebhookURLEnv = s
		}
	}
	if f, has := fs["console_url"]; has {
		if s, ok := d.nonEmpty(f.val, "notify.console_url"); ok {
			if problem := consoleURLProblem(s); problem != "" {
				d.failf(f.val, "notify.console_url: %s", problem)
			} else {
				out.ConsoleURL = strings.TrimRight(s, "/")
			}
		}
	}
	return out
}

// consoleURLProblem says what is wrong with a console base URL, "" when
// nothing is.
func consoleURLProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("%q is not an absolute http or https URL (https://enact.example.com)", s)
	case u.User != nil:
		return "the URL must not carry a user name or password"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Sprintf("%q has a query or fragment; give the console's base URL (links are <console_url>/ui/approvals/<id>)", s)
	}
	return ""
}
