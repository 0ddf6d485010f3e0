#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

Command validateCommand();

}  // namespace trialbridge::cli
