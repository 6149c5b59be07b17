package main

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/enact-run/enact/internal/lazyre"
	"github.com/enact-run/enact/policy"
)

// varPrefix is the prefix of the runner's environment variables that give
// capabilities' environment variables: ENACT_VAR_API_KEY gives API_KEY.
const varPrefix = "ENACT_VAR_"

// maxEnvFileBytes bounds an --env-file.
const maxEnvFileBytes = 1 << 20

var envNameRE = lazyre.New(`^[A-Za-z_][A-Za-z0-9_]*$`)

// cliVars is the runner's source of capabilities' environment variables
// (enact.VarSource), in order of precedence: the policy file's vars for the
// capability's id, then ENACT_VAR_<NAME> in the runner's environment, then
// --env-file.
type cliVars struct {
	policy  *policy.Policy
	getenv  func(string) string
	file    map[string]string // --env-file, nil without one
	fileArg string            // its path, for messages
}

// Vars implements enact.VarSource.
func (v cliVars) Vars(capabilityID string, names []string) map[string]any {
	fromPolicy := v.policy.Vars(capabilityID)
	out := map[string]any{}
	for _, name := range names {
		if val, ok := fromPolicy[name]; ok {
			out[name] = val
		} else if val := v.getenv(varPrefix + name); val != "" {
			out[name] = val
		} else if val, ok := v.file[name]; ok {
			out[name] = val
		}
	}
	return out
}

// Where implements enact.VarSource.
func (v cliVars) Where(capabilityID, name string) string {
	file := "in a file given with --env-file (" + name + "=…)"
	if v.fileArg != "" {
		file = "in " + v.fileArg + " (" + name + "=…)"
	}
	return fmt.Sprintf("give it in the policy file (vars: {%s: {%s: …}}), as %s%s in the runner's environment, or %s",
		capabilityID, name, varPrefix, name, file)
}

// readEnvFile reads an --env-file: NAME=value lines. Blank lines and lines
// starting with # are skipped, "export " before a name is allowed, and a
// value in single quotes is taken as it is, one in double quotes with the
// escapes \n, \t, \" and \\. Errors name the line, never a value.
func readEnvFile(path string) (map[string]string, error) {
	data, err := readLimited(path, maxEnvFileBytes)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	if len(data) > maxEnvFileBytes {
		return nil, fmt.Errorf("--env-file %s: larger than %d bytes", path, maxEnvFileBytes)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxEnvFileBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !envNameRE.MatchString(name) {
			return nil, fmt.Errorf("--env-file %s:%d: want NAME=value with NAME letters, digits and '_'", path, n)
		}
		value = strings.TrimSpace(value)
		switch {
		case len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'':
			value = value[1 : len(value)-1]
		case len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"':
			value = strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\"`, `"`, `\\`, `\`).Replace(value[1 : len(value)-1])
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--env-file %s:%d: %s is given twice", path, n, name)
		}
		out[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--env-file %s: %w", path, err)
	}
	return out, nil
}
