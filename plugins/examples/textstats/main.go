// Command textstats is an Extism plugin (Go, GOOS=wasip1) that counts the
// words, lines and characters of a text and lists its most frequent words.
//
// Export: run
//
// Input (JSON object):
//
//	{"text": "…", "top": 5}
//
//	text  string, required (may be empty)
//	top   integer >= 1, optional, default 5: how many of the most frequent
//	      words to list
//
// Output (JSON object):
//
//	{"words": 5, "lines": 1, "characters": 19,
//	 "top_words": [{"word": "the", "count": 2}, …]}
//
// Definitions:
//   - A word is a maximal run of Unicode letters, digits and apostrophes
//     (' and ’), lowercased, with leading and trailing apostrophes removed;
//     a run made only of apostrophes is not a word. "Don't" and "don’t" are
//     the same word "don't".
//   - lines is the number of lines: 0 for an empty text, otherwise the
//     number of '\n' plus one, where a single trailing '\n' does not start an
//     extra line ("a\nb" and "a\nb\n" both have 2 lines).
//   - characters is the number of Unicode code points (runes).
//   - top_words is sorted by count descending, ties broken alphabetically
//     (byte order of the lowercased word); it is [] when there are no words.
//
// Errors (pdk.SetError, return 1): input that is not a JSON object, a
// missing or null "text", a "top" that is not an integer >= 1.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/extism/go-pdk"

	enact "github.com/enact-run/enact/plugins/pdk"
)

const defaultTop = 5

type input struct {
	Text   *string `json:"text"`
	Top    *int    `json:"top"`
	SaveAs string  `json:"save_as"`
}

type wordCount struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

type output struct {
	Words      int         `json:"words"`
	Lines      int         `json:"lines"`
	Characters int         `json:"characters"`
	TopWords   []wordCount `json:"top_words"`
	Saved      *saved      `json:"saved,omitempty"`
}

// saved reports where the statistics were stored through the gate.
type saved struct {
	Key            string `json:"key"`
	Version        int    `json:"version"`
	AlreadyExisted bool   `json:"already_existed"`
}

//go:wasmexport run
func run() int32 {
	raw := pdk.Input()
	out, err := process(raw)
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	var in input
	_ = json.Unmarshal(raw, &in) // process has already checked it
	if in.SaveAs != "" {
		// Ask the host to keep the statistics: the request goes through the
		// gate (grant, schema, policy, receipt) like any other action.
		reply, err := enact.Request("kv.put", map[string]any{"key": in.SaveAs, "value": out})
		if err != nil {
			pdk.SetError(fmt.Errorf("textstats: saving: %w", err))
			return 1
		}
		if !reply.OK {
			pdk.SetError(fmt.Errorf("textstats: saving refused: %w", reply.Error))
			return 1
		}
		var res struct {
			Version int `json:"version"`
		}
		_ = json.Unmarshal(reply.Result, &res)
		out.Saved = &saved{Key: in.SaveAs, Version: res.Version, AlreadyExisted: reply.AlreadyExisted}
	}
	b, err := json.Marshal(out)
	if err != nil {
		pdk.SetError(fmt.Errorf("textstats: encoding output: %w", err))
		return 1
	}
	pdk.Output(b)
	return 0
}

// process parses the raw input and computes the statistics; it does not
// call the host.
func process(raw []byte) (*output, error) {
	var in input
	trimmed := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(trimmed, "{") {
		return nil, errors.New(`textstats: input must be a JSON object like {"text": "...", "top": 5}`)
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("textstats: invalid JSON input: %v", err)
	}
	if in.Text == nil {
		return nil, errors.New(`textstats: missing required field "text" (a string)`)
	}
	top := defaultTop
	if in.Top != nil {
		top = *in.Top
		if top < 1 {
			return nil, fmt.Errorf(`textstats: "top" must be an integer >= 1, got %d`, top)
		}
	}
	return stats(*in.Text, top), nil
}

func stats(text string, top int) *output {
	out := &output{
		Characters: utf8.RuneCountInString(text),
		Lines:      countLines(text),
		TopWords:   []wordCount{},
	}

	counts := make(map[string]int)
	var word strings.Builder
	flush := func() {
		if word.Len() == 0 {
			return
		}
		w := strings.Trim(word.String(), "'")
		word.Reset()
		if w == "" {
			return
		}
		counts[w]++
		out.Words++
	}
	for _, r := range text {
		switch {
		case r == '\'' || r == '\u2019': // ASCII and typographic apostrophe
			word.WriteByte('\'')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()

	all := make([]wordCount, 0, len(counts))
	for w, c := range counts {
		all = append(all, wordCount{Word: w, Count: c})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Count != all[j].Count {
			return all[i].Count > all[j].Count
		}
		return all[i].Word < all[j].Word
	})
	if len(all) > top {
		all = all[:top]
	}
	out.TopWords = append(out.TopWords, all...)
	return out
}

func countLines(text string) int {
	if text == "" {
		return 0
	}
	n := strings.Count(text, "\n")
	if !strings.HasSuffix(text, "\n") {
		n++
	}
	return n
}

// main is required for package main but is not called: with
// -buildmode=c-shared the module is a WASI reactor and the host calls the
// exported functions after _initialize.
func main() {}
