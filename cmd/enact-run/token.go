package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/internal/lazyre"
	"github.com/enact-run/enact/policy"
)

// tokenPrefix starts every token `token create` makes, so that secret
// scanners and people recognise one.
const tokenPrefix = "enact_"

// newToken is the created token as `token create --json` prints it.
type newToken struct {
	Actor  string `json:"actor"`
	Token  string `json:"token"`
	SHA256 string `json:"sha256"`
	// PolicyLine is the entry to add under api_tokens in the policy file.
	PolicyLine string `json:"policy_line"`
}

// plainYAML is what a YAML scalar may hold unquoted here.
var plainYAML = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._%+@-]*$`)

// createToken makes a random token for actor and the api_tokens entry
// that admits it, after checking that the policy loader accepts the entry
// and maps the token to the actor.
func createToken(actor string) (newToken, error) {
	actor = strings.TrimSpace(actor)
	if actor == "" || strings.Contains(actor, "*") {
		return newToken{}, fmt.Errorf("actor %q: want the email address the token acts for (no wildcard)", actor)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return newToken{}, err
	}
	tok := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(tok))
	digest := hex.EncodeToString(sum[:])
	quoted := actor
	if !plainYAML.MatchString(actor) {
		quoted = strconv.Quote(actor) // a JSON string is a YAML double-quoted scalar
	}
	line := fmt.Sprintf("- {sha256: %s, actor: %s}", digest, quoted)
	p, err := policy.Load([]byte("version: 1\napi_tokens:\n  "+line+"\n"), "api_tokens entry")
	if err != nil {
		return newToken{}, fmt.Errorf("actor %q: %w", actor, err)
	}
	got, ok := p.TokenActor(tok)
	if !ok || !strings.EqualFold(got.Email, actor) {
		return newToken{}, errors.New("the policy loader does not map the new token to the actor")
	}
	return newToken{Actor: got.Email, Token: tok, SHA256: digest, PolicyLine: line}, nil
}

func (c *cli) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Make bearer tokens for the HTTP API, MCP over HTTP and the console",
	}
	var asJSON bool
	create := &cobra.Command{
		Use:   "create ACTOR",
		Short: "Make a random token for ACTOR and print the api_tokens line that admits it",
		Long: `Make a random bearer token (256 bits from the system's generator) that acts
for ACTOR, an email address, and print it once, with the line to add under
api_tokens: in the policy file. The file holds only the token's sha256, so it
can live in Git; keep the token itself in a secret store. Nothing is written:
the token works once the line is in the policy file "serve" reads (it reloads
the file by itself). The token acts with the roles the policy's actors section
gives ACTOR; with the role auditor it reads every actor's runs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := createToken(args[0])
			if err != nil {
				return c.fail(exitUsage, err)
			}
			if asJSON {
				return json.NewEncoder(c.stdout).Encode(t)
			}
			c.printf(c.stdout, "Token for %s (shown once; keep it in a secret store):\n\n  %s\n\n", t.Actor, t.Token)
			c.printf(c.stdout, "Add this line under api_tokens: in the policy file:\n\n  %s\n\n", t.PolicyLine)
			c.printf(c.stdout, "Then call the API with \"Authorization: Bearer %s…\", or log in to the console at /ui.\n", t.Token[:len(tokenPrefix)+4])
			return nil
		},
	}
	create.Flags().BoolVar(&asJSON, "json", false, `print {"actor", "token", "sha256", "policy_line"}`)
	cmd.AddCommand(create)
	return cmd
}
