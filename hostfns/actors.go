package hostfns

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// RunKey is the name an actor's idempotency key has in the ledger and in
// the derived keys connectors get: "actor:<32 hex digits>:<key>", the hex
// digits the start of the SHA-256 of the actor's email (trimmed, lower
// case). Keys are per actor: two actors using the same key never meet,
// neither in the ledger (one cannot replay, block or learn of the other's
// run) nor in a connector's check-before-act. The hash has a fixed length,
// so the name splits one way only.
func RunKey(actorEmail, key string) string {
	return actorKeyPrefix(actorEmail) + key
}

// actorKeyPrefix is RunKey's prefix for an actor.
func actorKeyPrefix(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "actor:" + hex.EncodeToString(sum[:16]) + ":"
}

// CallerKey is the key an actor gave, from its RunKey name; a name that is
// not the actor's (a key recorded before keys were per actor) comes back
// unchanged. With no actor email (the ledger knows only the key of a run
// that held its key and never acted, such as a composite's) any actor's
// prefix is taken off.
func CallerKey(actorEmail, runKey string) string {
	if actorEmail == "" {
		if rest, ok := strings.CutPrefix(runKey, "actor:"); ok && len(rest) > 33 && rest[32] == ':' && isHex(rest[:32]) {
			return rest[33:]
		}
	}
	return strings.TrimPrefix(runKey, actorKeyPrefix(actorEmail))
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}
