package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"orengen/app"
)

// DecodeOptionalJSON decodes body into v like DecodeJSON when the
// request has one; an empty body leaves v as it is (all fields optional).
func DecodeOptionalJSON(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	return DecodeJSON(body, v)
}

// DecodeJSON reads a request body that must hold one JSON object into v.
// Every JSON body the server takes goes through here, so a mistake gets
// the same clear 400: EINVALID naming the field whose value has the wrong
// type ("naics must be a list of strings"), or saying where the JSON
// breaks.
func DecodeJSON(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return app.Errorf(app.EINVALID, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return app.Errorf(app.EINVALID, "The request body must hold one JSON object.")
	}
	return nil
}

// jsonError turns a decoding error into EINVALID naming the field.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return app.FieldErrorf(te.Field, "%s must be %s, not %s.", te.Field, jsonTypeName(te.Field, te.Type), jsonValueName(te.Value))
	case errors.As(err, &te):
		return app.Errorf(app.EINVALID, "The request body must be a JSON object.")
	case errors.As(err, &se):
		return app.Errorf(app.EINVALID, "The request body is not valid JSON (at byte %d: %s).", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return app.Errorf(app.EINVALID, "The request body is not valid JSON (it ends too early).")
	}
	return app.Errorf(app.EINVALID, "The request body is not valid JSON.")
}

// jsonTypeName says what a Go type expects, in JSON words.
func jsonTypeName(field string, t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if field == "amount" {
			return "an integer number of minor units (cents)"
		}
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list of " + plural(jsonTypeName("", t.Elem()))
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonTypeName(field, t.Elem())
	}
	return "a " + t.String()
}

func plural(s string) string {
	switch s {
	case "an integer":
		return "integers"
	case "a number":
		return "numbers"
	case "a string":
		return "strings"
	case "true or false":
		return "booleans"
	case "an object":
		return "objects"
	}
	return fmt.Sprintf("(%s)", s)
}

// jsonValueName names what the client sent (UnmarshalTypeError.Value).
func jsonValueName(v string) string {
	switch v {
	case "number", "string", "bool", "array", "object", "null":
		return map[string]string{"number": "a number", "string": "a string", "bool": "true or false", "array": "a list", "object": "an object", "null": "null"}[v]
	}
	if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return "the number " + v
	}
	return v
}

// DecodeJSONValue reads one JSON value (an object's member) into v. A
// type mismatch is EINVALID naming field, as DecodeJSON's are.
func DecodeJSONValue(field string, raw []byte, v any) error {
	err := json.Unmarshal(raw, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return app.FieldErrorf(field, "%s must be %s, not %s.", field, jsonTypeName(field, te.Type), jsonValueName(te.Value))
	}
	if err != nil {
		return jsonError(err)
	}
	return nil
}
