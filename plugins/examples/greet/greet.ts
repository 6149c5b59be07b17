// greet: an Enact example plugin in AssemblyScript (Extism AS PDK).
//
// Its input is raw text (a name), its output plain text; the greeting comes
// from the plugin's configuration (config "greeting", default "Hello"), and
// it logs what it does. See BUILD.md for the build command and greet.yaml
// for the capability that runs it.
import { Config, Host, LogLevel } from "@extism/as-pdk";

function myAbort(
  message: string | null,
  fileName: string | null,
  lineNumber: u32,
  columnNumber: u32
): void { }

export function greet(): i32 {
  const name = Host.inputString().trim();
  if (name.length == 0) {
    Host.log(LogLevel.Warn, "no name given");
  }
  const configured = Config.get("greeting");
  const greeting = configured == null ? "Hello" : configured;
  Host.log(LogLevel.Info, "greeting " + name.length.toString() + " characters with " + greeting);
  Host.outputString(greeting + ", " + (name.length == 0 ? "stranger" : name) + "!");
  return 0;
}
