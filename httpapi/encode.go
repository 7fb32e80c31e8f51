package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/passkeyd/passkeyd"
)

// maxBody is the contract's request body limit.
const maxBody = 64 << 10

func encode(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON object body into v. An empty body decodes as {} (option requests
// need no fields). Bodies over the limit are payload_too_large; anything that is not one
// JSON object of the right shape is invalid_request.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return passkeyd.Errorf(passkeyd.CodePayloadTooLarge, "request body is over %d bytes", maxBody)
		}
		return passkeyd.Errorf(passkeyd.CodeInvalidRequest, "could not read the request body")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if body[0] != '{' {
		return passkeyd.Errorf(passkeyd.CodeInvalidRequest, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return passkeyd.Errorf(passkeyd.CodeInvalidRequest, "malformed JSON: %s", jsonError(err))
	}
	if dec.More() {
		return passkeyd.Errorf(passkeyd.CodeInvalidRequest, "malformed JSON: trailing data after the object")
	}
	return nil
}

func jsonError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + te.Field + " must be " + te.Type.String()
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error()
	}
	return "not valid JSON"
}
