#pragma once
// The FHIRPath lexer and parser (hand-written; precedence climbing over the grammar's operator
// table). Produces the node tree of ast.h, or a syntax error with its position. Internal.
#include <optional>
#include <string_view>

#include "fhirpath/ast.h"
#include "fhirpath/fhirpath.h"

namespace trialbridge::fhirpath {

// Parses `text` into nodes owned by `pool`. Returns the root, or nullptr with `error` set.
Node* parseExpression(std::string_view text, NodePool& pool, Error& error);

// Line and column (1-based) of an offset in text.
void positionOf(std::string_view text, uint32_t offset, uint32_t& line, uint32_t& column);

// Unescapes a FHIRPath string/identifier body (\' \" \` \\ \/ \f \n \r \t \uXXXX). False on a
// bad escape.
bool unescapeFhirPath(std::string_view body, std::string& out);

}  // namespace trialbridge::fhirpath
