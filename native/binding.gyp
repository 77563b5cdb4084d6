{
  # Built from native/ (scripts/build-native.sh), not the repo root: a root binding.gyp would
  # make `npm ci` run node-gyp before bootstrap has installed the toolchain.
  "targets": [
    {
      "target_name": "kestrel_collector",
      "sources": [
        "addon/addon.cc",
        "addon/collector.cc",
        "addon/consumer.cc",
        "addon/errors.cc",
        "addon/hooks.cc",
        "addon/pidfd.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        ".",
        "bpf"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wno-missing-field-initializers"],
      "libraries": ["-lbpf", "-lelf", "-lz", "-lpthread"]
    },
    {
      # AF_UNIX datagram sockets for the syslog output (src/outputs/unix-datagram.ts)
      "target_name": "kestrel_unixdgram",
      "sources": ["addon/unix_dgram.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall"]
    }
  ]
}
