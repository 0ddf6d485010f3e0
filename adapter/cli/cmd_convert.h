#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

Command convertCommand();

}  // namespace trialbridge::cli
