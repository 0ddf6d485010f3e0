#include "cli/cmd_convert.h"
#include "cli/cmd_enrol.h"
#include "cli/cmd_fhirpath.h"
#include "cli/cmd_import.h"
#include "cli/cmd_map.h"
#include "cli/cmd_map_v2.h"
#include "cli/cmd_quarantine.h"
#include "cli/cmd_registry.h"
#include "cli/cmd_serve.h"
#include "cli/cmd_validate.h"
#include "cli/command.h"
#include "cli/help.h"

namespace trialbridge::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      validateCommand(), convertCommand(),  fhirpathCommand(), mapCommand(),
      mapV2Command(),    registryCommand(), serveCommand(),    quarantineCommand(),
      enrolCommand(),    importCommand(),   helpCommand(),
  };
  return kCommands;
}

}  // namespace trialbridge::cli
