/**
 * Every import of the CDKTF core (cdktf, constructs) in the library goes through this module. cdktf is archived; its
 * community fork (cdktn) would replace these two packages, and this file is where such a move starts (see README,
 * "Supported versions"). Provider resources are imported from their own submodules of @cdktf/provider-aws.
 */
export {
  Annotations,
  App,
  Aspects,
  AssetType,
  dependable,
  Fn,
  Lazy,
  TerraformAsset,
  TerraformResource,
  TerraformStack,
  Token,
  Tokenization,
  type IAspect,
  type ITerraformDependable,
  type TerraformProvider,
} from "cdktf";
export { Construct, type IConstruct } from "constructs";
