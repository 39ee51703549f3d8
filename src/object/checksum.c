/*
 * checksum.c - CRC32 (zlib/ISO-HDLC), CRC32C (Castagnoli), CRC64NVME and
 * SHA-1/SHA-256 behind one incremental interface, because S3 clients pick
 * any of them for x-amz-checksum-* headers and aws-chunked trailers. The CRC
 * tables are the reflected polynomials 0xEDB88320, 0x82F63B78 and
 * 0x9A6C9329AC4BC9B5, byte-at-a-time: simple, and far from the bottleneck
 * next to disk writes.
 */
#include "checksum.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

static const uint32_t crc32_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu, 0xe963a535u, 0x9e6495a3u, 0x0edb8832u,
    0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u, 0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u, 0x136c9856u, 0x646ba8c0u, 0xfd62f97au,
    0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u, 0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu, 0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u,
    0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u, 0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u, 0x2f6f7c87u, 0x58684c11u, 0xc1611dabu,
    0xb6662d3du, 0x76dc4190u, 0x01db7106u, 0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du, 0x91646c97u, 0xe6635c01u, 0x6b6b51f4u,
    0x1c6c6162u, 0x856530d8u, 0xf262004eu, 0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u, 0x4db26158u, 0x3ab551ceu, 0xa3bc0074u,
    0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau, 0xbe0b1010u, 0xc90c2086u, 0x5768b525u,
    0x206f85b3u, 0xb966d409u, 0xce61e49fu, 0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au, 0xead54739u, 0x9dd277afu, 0x04db2615u,
    0x73dc1683u, 0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu, 0x196c3671u, 0x6e6b06e7u, 0xfed41b76u,
    0x89d32be0u, 0x10da7a5au, 0x67dd4accu, 0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu, 0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u,
    0x41047a60u, 0xdf60efc3u, 0xa867df55u, 0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u,
    0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du, 0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u, 0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u,
    0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u, 0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u, 0xa00ae278u,
    0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u, 0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u, 0xbdbdf21cu, 0xcabac28au, 0x53b39330u,
    0x24b4a3a6u, 0xbad03605u, 0xcdd70693u, 0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};
static const uint32_t crc32c_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu, 0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu,
    0x78b2dbccu, 0x6be22838u, 0x9989ab3bu, 0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u, 0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u,
    0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu, 0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u, 0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu,
    0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau, 0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au, 0x7da08661u, 0x8fcb0562u, 0x9c9bf696u,
    0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu, 0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu, 0xed03a29bu, 0x1f682198u, 0x5125dad3u,
    0xa34e59d0u, 0xb01eaa24u, 0x42752927u, 0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u, 0x61c69362u, 0x93ad1061u, 0x80fde395u,
    0x72966096u, 0xa65c047du, 0x5437877eu, 0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu, 0x90a324fau, 0x62c8a7f9u, 0xb602c312u,
    0x44694011u, 0x5739b3e5u, 0xa55230e6u, 0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu, 0x456cac67u, 0xb7072f64u, 0xa457dc90u,
    0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u, 0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu, 0xb4091bffu, 0x466298fcu, 0x1871a4d8u,
    0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu, 0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du, 0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu,
    0x3bc21e9du, 0xef087a76u, 0x1d63f975u, 0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u, 0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u,
    0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu, 0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu, 0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u,
    0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u, 0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u, 0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au,
    0x115b2b19u, 0x020bd8edu, 0xf0605beeu, 0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu, 0xf36e6f75u, 0x0105ec76u, 0x12551f82u,
    0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u, 0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};
static const uint64_t crc64nvme_table[256] = {
    0x0000000000000000ull, 0x7f6ef0c830358979ull, 0xfedde190606b12f2ull, 0x81b31158505e9b8bull, 0xc962e5739841b68full,
    0xb60c15bba8743ff6ull, 0x37bf04e3f82aa47dull, 0x48d1f42bc81f2d04ull, 0xa61cecb46814fe75ull, 0xd9721c7c5821770cull,
    0x58c10d24087fec87ull, 0x27affdec384a65feull, 0x6f7e09c7f05548faull, 0x1010f90fc060c183ull, 0x91a3e857903e5a08ull,
    0xeecd189fa00bd371ull, 0x78e0ff3b88be6f81ull, 0x078e0ff3b88be6f8ull, 0x863d1eabe8d57d73ull, 0xf953ee63d8e0f40aull,
    0xb1821a4810ffd90eull, 0xceecea8020ca5077ull, 0x4f5ffbd87094cbfcull, 0x30310b1040a14285ull, 0xdefc138fe0aa91f4ull,
    0xa192e347d09f188dull, 0x2021f21f80c18306ull, 0x5f4f02d7b0f40a7full, 0x179ef6fc78eb277bull, 0x68f0063448deae02ull,
    0xe943176c18803589ull, 0x962de7a428b5bcf0ull, 0xf1c1fe77117cdf02ull, 0x8eaf0ebf2149567bull, 0x0f1c1fe77117cdf0ull,
    0x7072ef2f41224489ull, 0x38a31b04893d698dull, 0x47cdebccb908e0f4ull, 0xc67efa94e9567b7full, 0xb9100a5cd963f206ull,
    0x57dd12c379682177ull, 0x28b3e20b495da80eull, 0xa900f35319033385ull, 0xd66e039b2936bafcull, 0x9ebff7b0e12997f8ull,
    0xe1d10778d11c1e81ull, 0x606216208142850aull, 0x1f0ce6e8b1770c73ull, 0x8921014c99c2b083ull, 0xf64ff184a9f739faull,
    0x77fce0dcf9a9a271ull, 0x08921014c99c2b08ull, 0x4043e43f0183060cull, 0x3f2d14f731b68f75ull, 0xbe9e05af61e814feull,
    0xc1f0f56751dd9d87ull, 0x2f3dedf8f1d64ef6ull, 0x50531d30c1e3c78full, 0xd1e00c6891bd5c04ull, 0xae8efca0a188d57dull,
    0xe65f088b6997f879ull, 0x9931f84359a27100ull, 0x1882e91b09fcea8bull, 0x67ec19d339c963f2ull, 0xd75adabd7a6e2d6full,
    0xa8342a754a5ba416ull, 0x29873b2d1a053f9dull, 0x56e9cbe52a30b6e4ull, 0x1e383fcee22f9be0ull, 0x6156cf06d21a1299ull,
    0xe0e5de5e82448912ull, 0x9f8b2e96b271006bull, 0x71463609127ad31aull, 0x0e28c6c1224f5a63ull, 0x8f9bd7997211c1e8ull,
    0xf0f5275142244891ull, 0xb824d37a8a3b6595ull, 0xc74a23b2ba0eececull, 0x46f932eaea507767ull, 0x3997c222da65fe1eull,
    0xafba2586f2d042eeull, 0xd0d4d54ec2e5cb97ull, 0x5167c41692bb501cull, 0x2e0934dea28ed965ull, 0x66d8c0f56a91f461ull,
    0x19b6303d5aa47d18ull, 0x980521650afae693ull, 0xe76bd1ad3acf6feaull, 0x09a6c9329ac4bc9bull, 0x76c839faaaf135e2ull,
    0xf77b28a2faafae69ull, 0x8815d86aca9a2710ull, 0xc0c42c4102850a14ull, 0xbfaadc8932b0836dull, 0x3e19cdd162ee18e6ull,
    0x41773d1952db919full, 0x269b24ca6b12f26dull, 0x59f5d4025b277b14ull, 0xd846c55a0b79e09full, 0xa72835923b4c69e6ull,
    0xeff9c1b9f35344e2ull, 0x90973171c366cd9bull, 0x1124202993385610ull, 0x6e4ad0e1a30ddf69ull, 0x8087c87e03060c18ull,
    0xffe938b633338561ull, 0x7e5a29ee636d1eeaull, 0x0134d92653589793ull, 0x49e52d0d9b47ba97ull, 0x368bddc5ab7233eeull,
    0xb738cc9dfb2ca865ull, 0xc8563c55cb19211cull, 0x5e7bdbf1e3ac9decull, 0x21152b39d3991495ull, 0xa0a63a6183c78f1eull,
    0xdfc8caa9b3f20667ull, 0x97193e827bed2b63ull, 0xe877ce4a4bd8a21aull, 0x69c4df121b863991ull, 0x16aa2fda2bb3b0e8ull,
    0xf86737458bb86399ull, 0x8709c78dbb8deae0ull, 0x06bad6d5ebd3716bull, 0x79d4261ddbe6f812ull, 0x3105d23613f9d516ull,
    0x4e6b22fe23cc5c6full, 0xcfd833a67392c7e4ull, 0xb0b6c36e43a74e9dull, 0x9a6c9329ac4bc9b5ull, 0xe50263e19c7e40ccull,
    0x64b172b9cc20db47ull, 0x1bdf8271fc15523eull, 0x530e765a340a7f3aull, 0x2c608692043ff643ull, 0xadd397ca54616dc8ull,
    0xd2bd67026454e4b1ull, 0x3c707f9dc45f37c0ull, 0x431e8f55f46abeb9ull, 0xc2ad9e0da4342532ull, 0xbdc36ec59401ac4bull,
    0xf5129aee5c1e814full, 0x8a7c6a266c2b0836ull, 0x0bcf7b7e3c7593bdull, 0x74a18bb60c401ac4ull, 0xe28c6c1224f5a634ull,
    0x9de29cda14c02f4dull, 0x1c518d82449eb4c6ull, 0x633f7d4a74ab3dbfull, 0x2bee8961bcb410bbull, 0x548079a98c8199c2ull,
    0xd53368f1dcdf0249ull, 0xaa5d9839ecea8b30ull, 0x449080a64ce15841ull, 0x3bfe706e7cd4d138ull, 0xba4d61362c8a4ab3ull,
    0xc52391fe1cbfc3caull, 0x8df265d5d4a0eeceull, 0xf29c951de49567b7ull, 0x732f8445b4cbfc3cull, 0x0c41748d84fe7545ull,
    0x6bad6d5ebd3716b7ull, 0x14c39d968d029fceull, 0x95708ccedd5c0445ull, 0xea1e7c06ed698d3cull, 0xa2cf882d2576a038ull,
    0xdda178e515432941ull, 0x5c1269bd451db2caull, 0x237c997575283bb3ull, 0xcdb181ead523e8c2ull, 0xb2df7122e51661bbull,
    0x336c607ab548fa30ull, 0x4c0290b2857d7349ull, 0x04d364994d625e4dull, 0x7bbd94517d57d734ull, 0xfa0e85092d094cbfull,
    0x856075c11d3cc5c6ull, 0x134d926535897936ull, 0x6c2362ad05bcf04full, 0xed9073f555e26bc4ull, 0x92fe833d65d7e2bdull,
    0xda2f7716adc8cfb9ull, 0xa54187de9dfd46c0ull, 0x24f29686cda3dd4bull, 0x5b9c664efd965432ull, 0xb5517ed15d9d8743ull,
    0xca3f8e196da80e3aull, 0x4b8c9f413df695b1ull, 0x34e26f890dc31cc8ull, 0x7c339ba2c5dc31ccull, 0x035d6b6af5e9b8b5ull,
    0x82ee7a32a5b7233eull, 0xfd808afa9582aa47ull, 0x4d364994d625e4daull, 0x3258b95ce6106da3ull, 0xb3eba804b64ef628ull,
    0xcc8558cc867b7f51ull, 0x8454ace74e645255ull, 0xfb3a5c2f7e51db2cull, 0x7a894d772e0f40a7ull, 0x05e7bdbf1e3ac9deull,
    0xeb2aa520be311aafull, 0x944455e88e0493d6ull, 0x15f744b0de5a085dull, 0x6a99b478ee6f8124ull, 0x224840532670ac20ull,
    0x5d26b09b16452559ull, 0xdc95a1c3461bbed2ull, 0xa3fb510b762e37abull, 0x35d6b6af5e9b8b5bull, 0x4ab846676eae0222ull,
    0xcb0b573f3ef099a9ull, 0xb465a7f70ec510d0ull, 0xfcb453dcc6da3dd4ull, 0x83daa314f6efb4adull, 0x0269b24ca6b12f26ull,
    0x7d0742849684a65full, 0x93ca5a1b368f752eull, 0xeca4aad306bafc57ull, 0x6d17bb8b56e467dcull, 0x12794b4366d1eea5ull,
    0x5aa8bf68aecec3a1ull, 0x25c64fa09efb4ad8ull, 0xa4755ef8cea5d153ull, 0xdb1bae30fe90582aull, 0xbcf7b7e3c7593bd8ull,
    0xc399472bf76cb2a1ull, 0x422a5673a732292aull, 0x3d44a6bb9707a053ull, 0x759552905f188d57ull, 0x0afba2586f2d042eull,
    0x8b48b3003f739fa5ull, 0xf42643c80f4616dcull, 0x1aeb5b57af4dc5adull, 0x6585ab9f9f784cd4ull, 0xe436bac7cf26d75full,
    0x9b584a0fff135e26ull, 0xd389be24370c7322ull, 0xace74eec0739fa5bull, 0x2d545fb4576761d0ull, 0x523aaf7c6752e8a9ull,
    0xc41748d84fe75459ull, 0xbb79b8107fd2dd20ull, 0x3acaa9482f8c46abull, 0x45a459801fb9cfd2ull, 0x0d75adabd7a6e2d6ull,
    0x721b5d63e7936bafull, 0xf3a84c3bb7cdf024ull, 0x8cc6bcf387f8795dull, 0x620ba46c27f3aa2cull, 0x1d6554a417c62355ull,
    0x9cd645fc4798b8deull, 0xe3b8b53477ad31a7ull, 0xab69411fbfb21ca3ull, 0xd407b1d78f8795daull, 0x55b4a08fdfd90e51ull,
    0x2ada5047efec8728ull,
};

uint32_t obj_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = crc32_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint32_t obj_crc32c(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint64_t obj_crc64nvme(uint64_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = crc64nvme_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static const struct {
    enum checksum_algo algo;
    const char *name;   /* x-amz-checksum-algorithm value */
    const char *header; /* header / trailer name */
    size_t digest_len;
} algos[] = {
    {CHECKSUM_CRC32, "CRC32", "x-amz-checksum-crc32", 4},
    {CHECKSUM_CRC32C, "CRC32C", "x-amz-checksum-crc32c", 4},
    {CHECKSUM_CRC64NVME, "CRC64NVME", "x-amz-checksum-crc64nvme", 8},
    {CHECKSUM_SHA1, "SHA1", "x-amz-checksum-sha1", 20},
    {CHECKSUM_SHA256, "SHA256", "x-amz-checksum-sha256", 32},
};

enum checksum_algo checksum_algo_from_header(const char *name)
{
    for (size_t i = 0; name && i < sizeof(algos) / sizeof(algos[0]); i++)
        if (strcasecmp(name, algos[i].header) == 0)
            return algos[i].algo;
    return CHECKSUM_NONE;
}

enum checksum_algo checksum_algo_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof(algos) / sizeof(algos[0]); i++)
        if (strcasecmp(name, algos[i].name) == 0)
            return algos[i].algo;
    return CHECKSUM_NONE;
}

const char *checksum_header_name(enum checksum_algo algo)
{
    for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
        if (algos[i].algo == algo)
            return algos[i].header;
    return NULL;
}

size_t checksum_digest_len(enum checksum_algo algo)
{
    for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
        if (algos[i].algo == algo)
            return algos[i].digest_len;
    return 0;
}

int checksum_init(struct checksum *c, enum checksum_algo algo)
{
    memset(c, 0, sizeof(*c));
    c->algo = algo;
    switch (algo) {
    case CHECKSUM_CRC32:
    case CHECKSUM_CRC32C:
    case CHECKSUM_CRC64NVME:
        return 0;
    case CHECKSUM_SHA1:
    case CHECKSUM_SHA256: {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (!md)
            return -1;
        if (EVP_DigestInit_ex(md, algo == CHECKSUM_SHA1 ? EVP_sha1() : EVP_sha256(), NULL) != 1) {
            EVP_MD_CTX_free(md);
            return -1;
        }
        c->md = md;
        return 0;
    }
    case CHECKSUM_NONE:
        break;
    }
    return -1;
}

void checksum_update(struct checksum *c, const void *data, size_t len)
{
    switch (c->algo) {
    case CHECKSUM_CRC32:
        c->crc = obj_crc32((uint32_t)c->crc, data, len);
        break;
    case CHECKSUM_CRC32C:
        c->crc = obj_crc32c((uint32_t)c->crc, data, len);
        break;
    case CHECKSUM_CRC64NVME:
        c->crc = obj_crc64nvme(c->crc, data, len);
        break;
    case CHECKSUM_SHA1:
    case CHECKSUM_SHA256:
        if (c->md)
            EVP_DigestUpdate(c->md, data, len);
        break;
    case CHECKSUM_NONE:
        break;
    }
}

size_t checksum_final(struct checksum *c, uint8_t out[CHECKSUM_MAX_DIGEST])
{
    size_t n = checksum_digest_len(c->algo);
    unsigned int mdlen = 0;

    switch (c->algo) {
    case CHECKSUM_CRC32:
    case CHECKSUM_CRC32C:
    case CHECKSUM_CRC64NVME:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(c->crc >> (8 * (n - 1 - i)));
        return n;
    case CHECKSUM_SHA1:
    case CHECKSUM_SHA256:
        if (!c->md || EVP_DigestFinal_ex(c->md, out, &mdlen) != 1)
            return 0;
        return mdlen;
    case CHECKSUM_NONE:
        break;
    }
    return 0;
}

void checksum_free(struct checksum *c)
{
    if (c->md)
        EVP_MD_CTX_free(c->md);
    c->md = NULL;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t obj_base64_encode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64chars[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long obj_base64_decode(const char *in, size_t len, uint8_t *out, size_t out_cap)
{
    size_t o = 0;
    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            if (in[i + j] == '=' && i + 4 == len && j >= 2) {
                v[j] = 0;
                pad++;
            } else {
                if (pad)
                    return -1; /* data after padding */
                v[j] = b64val(in[i + j]);
                if (v[j] < 0)
                    return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t n = 3 - (size_t)pad;
        if (o + n > out_cap)
            return -1;
        for (size_t k = 0; k < n; k++)
            out[o++] = (uint8_t)(w >> (16 - 8 * k));
    }
    return (long)o;
}
