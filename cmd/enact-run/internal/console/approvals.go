package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/enact-run/enact/cmd/enact-run/internal/receiptview"
	"github.com/enact-run/enact/receipts"
)

// Approvals reads approval requests and records votes; *enact.Client is
// one.
type Approvals = receiptview.Approvals

// maxApprovalsShown bounds the approvals page.
const maxApprovalsShown = 200

// approvalStates are the approvals page's filter choices.
var approvalStates = []string{receipts.ApprovalPending, receipts.ApprovalApproved, receipts.ApprovalDenied, receipts.ApprovalExpired}

// visibleTo is the approvals a viewer may see: the requests it made, those
// it may approve, every one for an auditor.
func visibleTo(v *viewer) func(receipts.ApprovalRequest) bool {
	return func(req receipts.ApprovalRequest) bool {
		return v.all || receiptview.ApprovalVisible(req, v.actor)
	}
}

func (c *console) approvals(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.cfg.Approvals == nil {
		c.notFound(w, r, v, "This server keeps no approval requests.")
		return
	}
	state := strings.TrimSpace(r.URL.Query().Get("state"))
	d := &pageData{Title: "Approvals", Viewer: v, ApprovalStates: approvalStates, ApprovalFilter: state}
	switch state {
	case "", receipts.ApprovalPending, receipts.ApprovalApproved, receipts.ApprovalDenied, receipts.ApprovalExpired:
	default:
		d.Message = "state " + state + ": want pending, approved, denied or expired"
		c.page(w, r, http.StatusBadRequest, "approvals", d)
		return
	}
	all, err := c.cfg.Approvals.Approvals(r.Context(), receipts.ApprovalFilter{State: state, Now: c.cfg.Now()})
	if err != nil {
		c.internal(w, r, v, "listing the approval requests", err)
		return
	}
	see := visibleTo(v)
	for _, req := range all {
		if see(req) {
			d.Approvals = append(d.Approvals, req)
		}
	}
	receiptview.SortPendingFirst(d.Approvals)
	if len(d.Approvals) > maxApprovalsShown {
		d.Approvals = d.Approvals[:maxApprovalsShown]
	}
	c.page(w, r, http.StatusOK, "approvals", d)
}

// resolveApproval finds the request the path names among those the viewer
// may see, or writes the error page.
func (c *console) resolveApproval(w http.ResponseWriter, r *http.Request, v *viewer) (receipts.ApprovalRequest, bool) {
	if c.cfg.Approvals == nil {
		c.notFound(w, r, v, "This server keeps no approval requests.")
		return receipts.ApprovalRequest{}, false
	}
	id := r.PathValue("id")
	req, err := receiptview.ResolveApproval(r.Context(), c.cfg.Approvals, id, visibleTo(v))
	switch {
	case errors.Is(err, receipts.ErrApprovalNotFound):
		c.notFound(w, r, v, "No approval request "+id+" that you may see.")
		return req, false
	case errors.Is(err, receiptview.ErrAmbiguousApproval):
		c.page(w, r, http.StatusNotFound, "error", &pageData{Title: "Ambiguous", Viewer: v, Message: err.Error()})
		return req, false
	case err != nil:
		c.internal(w, r, v, "reading the approval request", err)
		return req, false
	}
	return req, true
}

// mayVote says whether to offer the viewer the vote buttons: the request
// is pending and the viewer holds a role it accepts (the store has the
// last word: self-approval, a second vote).
func mayVote(req receipts.ApprovalRequest, v *viewer) bool {
	return req.State == receipts.ApprovalPending && receiptview.MayApprove(req, v.actor.Roles)
}

func (c *console) approval(w http.ResponseWriter, r *http.Request, v *viewer) {
	req, ok := c.resolveApproval(w, r, v)
	if !ok {
		return
	}
	d := &pageData{Title: "Approval " + req.ID, Viewer: v, Approval: &req, MayVote: mayVote(req, v)}
	switch r.URL.Query().Get("voted") {
	case "approve":
		d.Message = "Your approval is recorded; the request is now " + req.State + "."
	case "deny":
		d.Message = "Your denial is recorded; the request is now " + req.State + "."
	}
	c.page(w, r, http.StatusOK, "approval", d)
}

// voteStatus maps a refused vote to the page's status.
var voteStatus = map[string]int{
	"not_an_approver": http.StatusForbidden,
	"self_approval":   http.StatusForbidden,
	"already_voted":   http.StatusConflict,
	"not_pending":     http.StatusConflict,
	"expired":         http.StatusGone,
}

func (c *console) vote(approve bool) func(http.ResponseWriter, *http.Request, *viewer) {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			c.page(w, r, http.StatusBadRequest, "error", &pageData{Title: "Refused", Viewer: v, Message: "The form could not be read: " + err.Error()})
			return
		}
		if v.session != nil && subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(v.session.csrf)) != 1 {
			c.page(w, r, http.StatusForbidden, "error", &pageData{Title: "Refused", Viewer: v, Message: "The form's CSRF token is missing or wrong. Use the buttons on the request's page."})
			return
		}
		req, ok := c.resolveApproval(w, r, v)
		if !ok {
			return
		}
		reason := strings.TrimSpace(r.PostForm.Get("reason"))
		page := func(status int, msg string) {
			d := &pageData{Title: "Approval " + req.ID, Viewer: v, Approval: &req, MayVote: mayVote(req, v), Message: msg}
			c.page(w, r, status, "approval", d)
		}
		if !approve && reason == "" {
			page(http.StatusBadRequest, "Say why you deny the request: the requester reads the reason.")
			return
		}
		if len(reason) > 2000 {
			page(http.StatusBadRequest, "The reason is longer than 2000 bytes.")
			return
		}
		decided, err := c.cfg.Approvals.Decide(r.Context(), req.ID, v.actor, approve, reason)
		var ae *receipts.ApprovalError
		switch {
		case errors.As(err, &ae):
			status, ok := voteStatus[ae.Code]
			if !ok {
				status = http.StatusConflict
			}
			page(status, "Your vote was refused: "+ae.Error())
			return
		case err != nil:
			c.internal(w, r, v, "recording the vote", err)
			return
		}
		c.log.Info("console: vote", "approval_id", decided.ID, "actor", v.actor.Email, "approve", approve, "state", decided.State)
		verb := "approve"
		if !approve {
			verb = "deny"
		}
		http.Redirect(w, r, Prefix+"/approvals/"+url.PathEscape(decided.ID)+"?voted="+verb, http.StatusSeeOther)
	}
}

// heldRequest adds to a run's page the approval request that holds it (or
// that one of its actions was performed under), when the viewer may see
// it.
func (c *console) heldRequest(r *http.Request, v *viewer, view *receiptview.View, d *pageData) {
	if c.cfg.Approvals == nil {
		return
	}
	for _, a := range view.Actions {
		if a.Approval == nil || a.Approval.Request == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		req, err := c.cfg.Approvals.Approval(ctx, a.Approval.Request)
		cancel()
		if err != nil || !visibleTo(v)(req) {
			continue
		}
		d.Approval, d.MayVote = &req, mayVote(req, v)
		return
	}
}
