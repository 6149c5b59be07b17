package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/cmd/enact-run/internal/receiptview"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// Approvals reads approval requests and records votes; *enact.Client is
// one.
type Approvals = receiptview.Approvals

// Error codes of the approvals endpoints; a refused vote answers with the
// store's code (receipts.ApprovalError).
const (
	CodeNotAnApprover = "not_an_approver" // 403: the caller holds none of the roles the request accepts
	CodeSelfApproval  = "self_approval"   // 403: the requester may not approve their own request
	CodeAlreadyVoted  = "already_voted"   // 409: the caller voted on this request already
	CodeNotPending    = "not_pending"     // 409: the request was approved or denied already
	CodeExpired       = "expired"         // 410: the request expired; the retry makes a new one
	CodeNoApprovals   = "no_approvals"    // 501: the receipt store keeps no approval requests
)

// maxApprovalList bounds GET /v1/approvals.
const maxApprovalList = 500

// approvalStatus maps a refused vote's code to its HTTP status.
var approvalStatus = map[string]int{
	CodeNotAnApprover: http.StatusForbidden,
	CodeSelfApproval:  http.StatusForbidden,
	CodeAlreadyVoted:  http.StatusConflict,
	CodeNotPending:    http.StatusConflict,
	CodeExpired:       http.StatusGone,
}

func (a *api) approvalsError(w http.ResponseWriter, err error, id string) {
	var ae *receipts.ApprovalError
	switch {
	case errors.As(err, &ae):
		status, ok := approvalStatus[ae.Code]
		if !ok {
			status = http.StatusConflict
		}
		writeError(w, status, ae.Code, ae.Message)
	case errors.Is(err, receipts.ErrApprovalNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no approval request "+id)
	case errors.Is(err, receiptview.ErrAmbiguousApproval):
		writeError(w, http.StatusNotFound, CodeNotFound, "the id prefix "+id+" matches several approval requests; give more of it")
	case errors.Is(err, enact.ErrNoApprovals):
		writeError(w, http.StatusNotImplemented, CodeNoApprovals, err.Error())
	default:
		a.log.Error("httpapi: approvals", "approval_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, err.Error())
	}
}

// approvalsReady answers 501 when the server was configured without
// approvals.
func (a *api) approvalsReady(w http.ResponseWriter) bool {
	if a.cfg.Approvals == nil {
		writeError(w, http.StatusNotImplemented, CodeNoApprovals, enact.ErrNoApprovals.Error())
		return false
	}
	return true
}

func (a *api) listApprovals(w http.ResponseWriter, r *http.Request) {
	if !a.approvalsReady(w) {
		return
	}
	actor, _ := r.Context().Value(actorKey{}).(policy.Actor)
	q := r.URL.Query()
	state := q.Get("state")
	switch state {
	case "all":
		state = ""
	case "", receipts.ApprovalPending, receipts.ApprovalApproved, receipts.ApprovalDenied, receipts.ApprovalExpired:
	default:
		writeError(w, http.StatusBadRequest, CodeInvalidRequest, "state must be pending, approved, denied, expired or all, not "+strconv.Quote(state))
		return
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxApprovalList {
			writeError(w, http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf("limit must be 1 to %d", maxApprovalList))
			return
		}
		limit = n
	}
	all, err := a.cfg.Approvals.Approvals(r.Context(), receipts.ApprovalFilter{State: state, Actor: strings.ToLower(strings.TrimSpace(q.Get("actor"))), Now: time.Now()})
	if err != nil {
		a.approvalsError(w, err, "")
		return
	}
	out := []receipts.ApprovalRequest{}
	for _, req := range all {
		if receiptview.ApprovalVisible(req, actor) {
			out = append(out, req)
		}
	}
	receiptview.SortPendingFirst(out)
	if len(out) > limit {
		out = out[:limit]
	}
	writeJSON(w, http.StatusOK, out)
}

// approval resolves the request the path names among those the caller
// may see, or writes the error.
func (a *api) approval(w http.ResponseWriter, r *http.Request) (receipts.ApprovalRequest, bool) {
	id := r.PathValue("id")
	actor, _ := r.Context().Value(actorKey{}).(policy.Actor)
	req, err := receiptview.ResolveApproval(r.Context(), a.cfg.Approvals, id, func(req receipts.ApprovalRequest) bool {
		return receiptview.ApprovalVisible(req, actor)
	})
	if err != nil {
		a.approvalsError(w, err, id)
		return req, false
	}
	return req, true
}

func (a *api) getApproval(w http.ResponseWriter, r *http.Request) {
	if !a.approvalsReady(w) {
		return
	}
	if req, ok := a.approval(w, r); ok {
		writeJSON(w, http.StatusOK, req)
	}
}

// voteRequest is the body of POST /v1/approvals/{id}/approve and /deny.
type voteRequest struct {
	Reason string `json:"reason"`
}

// maxReason bounds a vote's reason.
const maxReason = 2000

func (a *api) vote(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.approvalsReady(w) {
			return
		}
		var v voteRequest
		if !a.decodeBody(w, r, &v) {
			return
		}
		if len(v.Reason) > maxReason {
			writeError(w, http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf(`"reason" is longer than %d bytes`, maxReason))
			return
		}
		if !approve && strings.TrimSpace(v.Reason) == "" {
			writeError(w, http.StatusBadRequest, CodeInvalidRequest, `"reason" is required to deny: the requester reads it`)
			return
		}
		actor, _ := r.Context().Value(actorKey{}).(policy.Actor)
		req, ok := a.approval(w, r)
		if !ok {
			return
		}
		req, err := a.cfg.Approvals.Decide(r.Context(), req.ID, actor, approve, v.Reason)
		if err != nil {
			a.log.Info("httpapi: vote refused", "approval_id", r.PathValue("id"), "actor", actor.Email, "approve", approve, "error", err)
			a.approvalsError(w, err, r.PathValue("id"))
			return
		}
		a.log.Info("httpapi: vote", "approval_id", req.ID, "actor", actor.Email, "approve", approve, "state", req.State)
		writeJSON(w, http.StatusOK, req)
	}
}

// decodeBody reads a small JSON body (application/json, one value, no
// unknown fields; an empty body is the zero value) or writes the error.
func (a *api) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	// Always application/json, even for an empty body: a web page cannot
	// send that without a CORS preflight.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body must be application/json (set Content-Type)")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body exceeds %d bytes", a.maxBody))
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidRequest, "the body is not valid: "+err.Error())
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, CodeInvalidRequest, "more than one JSON value in the body")
		return false
	}
	return true
}
