package policy

// CaseInputs returns the inputs of a cases file, decoded as RunCases
// decodes them.
func CaseInputs(data []byte, name string) ([]Input, error) {
	tcs, err := loadCases(data, name)
	if err != nil {
		return nil, err
	}
	out := make([]Input, len(tcs))
	for i, tc := range tcs {
		out[i] = tc.input
	}
	return out, nil
}
