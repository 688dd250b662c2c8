/**
 * Velocidex's release signing key. Every Velociraptor release asset has a detached GPG signature
 * (`<asset>.sig`) made with it; Velociraptor's docs name the key by its fingerprint
 * 0572F28B4EF19A043F4CBBE0B22A7FB19CB6CFA1 (RSA-3072, created 2021-10-29, uid "Velociraptor Team …
 * <support@velocidex.com>").
 *
 * The armored public key below is data, pinned in the app so that verification needs no key server:
 * its text was found in a public repository that vendors it for the same purpose
 * (Obmondo/KubeAid build/kubesoc/velociraptor/velocidex-release-key.asc, as exported by
 * keys.openpgp.org's Hockeypuck), checked here with `gpg --import` (fingerprint and self-signature),
 * and it is checked again at every use: a key whose fingerprint is not the pinned one is refused.
 */
export const VELOCIDEX_KEY_FINGERPRINT = '0572F28B4EF19A043F4CBBE0B22A7FB19CB6CFA1';

export const VELOCIDEX_PUBLIC_KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

xsDNBGF76VYBDADIU55+xVWdN7olXHAKMe9yvn4+ujnv4w5o+YnAjkca9EBGejD6
MUidVH9dPTJCPfRnH5msjhupg9cjfneFYyJIx7ZPYmiHz6moCQlNo3b6OI8cB353
+/3R7jxu+3/9Nad3Zq+2lSSnBUWnMAcmAG1CnB4mxcLeDE1dllUHUAPsvd13ffTl
7LJNkevyjpNMCHbl5HcrGm4kEfVCl8DKn9u10OXTi3LqqCATYNV341K2eUdyMqn8
dSGOI7gQxDj6MWpBU7+DeIkAO71/lT4bUppGmTC2saZl17dWjhoelj5bYQ1i9KKl
UxQNE4rUoZw8VNf6mAcYE2FJg8U6b3BtZvojYarHGWR4j3+8nC+JcRu6Joq1TRYY
y2KoqfY1/LKZrVkOWeU1inyiUg4WvCUD3W0aB5F9e5qDsBLFdUz22B2uaY7zu1Ix
4EcaaWuEdl4OeoIIrCKlmRV9RNl+t7BJsqrQ6ZJx4kvn9AUtJz/XUK851GHdUZrd
9O9VdQr3Jd4jqpMAEQEAAc1mVmVsb2NpcmFwdG9yIFRlYW0gKFZlbG9jaXJhcHRv
ciAtIERpZyBkZWVwZXIhICBodHRwczovL2RvY3MudmVsb2NpcmFwdG9yLmFwcC8p
IDxzdXBwb3J0QHZlbG9jaWRleC5jb20+wsEOBBMBCgA4FiEEBXLyi07xmgQ/TLvg
sip/sZy2z6EFAmF76VYCGwMFCwkIBwIGFQoJCAsCBBYCAwECHgECF4AACgkQsip/
sZy2z6HHqgv+LU8fIUwX0ktW81vMlmzM26F6TGTiYSc10iYCqQG8/g+RpdwjmBEj
YoVAq4FgTPy5GksNz+nQeCCjjw6C587yqu5wO07KDvgOf6nGD+vAzOdv8dvUFe3H
yt6Lzm4jFMGls2kRvSNAzFkp4NXwqMPZitDIJN9wTTLdfyo253qrhU390rXXuAwz
2zbtn9Rw10++kqCcVYGPaI2A9bWbT91hI/tJladIqkETkXt6kRZF95PqoE9ZiRZM
sqboUngnDQ5QxZ6j6O6uY6uT6he1iezTYiEiFmrAHWafHCK5gWMMnFmoT4YYEP77
fP3EYQLEF2VpQLH19Mxx9L+R5ot3quNekxXHb5I5/ePmu9g8rwr44azn8Zbhlcfi
WqxEQuM4EIRW1exz+bxo0/hBPcJHZJx44KaLQZaAogRoV1kF4dCONVIZQFC+GCef
XaREqkfhZLEULScyC7CensAj/qukx0SfE+vgcrt82f0auXWWprLXw702qJBSKPqx
JyTDWqVKomuBzsDNBGF76VYBDACwGxW+c9P2nFfNeyVkLnHroLzpLnZ9kpj4naAB
UNmubjF7VQK286GMVWzBjYGcBIgqPhY+lhlmGNi267o0xROVHsoYAmibd39m2NuX
fzAvlYSAyMmRU3OkOZz9rZD7EL4S3UV4hVOSta1k+lKu34L9Ql4DO1VWKx1gHyCz
Cv/PVl8fSghvcenkxzhgVtWjKsSyWl003xVOLiFl1odvH7T6jkj9waoac47QrODa
YwynW0OU73zwuIdroDUKgNHbUYR1txAlcucGZ/JclEEAIaCkNOQbD5C7tII9756U
Ye4emM7ch9Wjo9YN9OfV4gxqrADePrN0xu7J8BMDXNzf1N837a+mrYNuvbdv+ci/
DOEKieUDeJUQBSNkryjX+UWXyEZA3U1GuH+bNxNwQ+qJxj/s3mK6tw4q86qgYj23
pCmM1eUNaQaSvpRgboK1Il1wVWOguMUXSpGv0SR/E5nrQoIDcdyYRIx6sYV3qE9+
sc+1cobQbcTOqkZEZsxOFI0egqkAEQEAAcLA9gQYAQoAIBYhBAVy8otO8ZoEP0y7
4LIqf7Gcts+hBQJhe+lWAhsMAAoJELIqf7Gcts+ho4YMALBlSdJ8tRubpcvcLWx2
7HnFMtVyzKAJCCBXqQzMyQ4IrGFV96frexf2EAdUmSXpHdJorJZ67QJ3n52o8yuF
ac6noIB4UGF20zP+a/Bh2DF3fpeMgXkhl7NBYX9oWHDAKvAkP6QIfU95z/tBjT8v
8cGyAovACGEF8aH+Bsi8Zr8+18w4XYSJ3NJIbYnMPoDcQMrV5QhfJSXpyvt3M+Uu
yTM2MxFiV3VmUPTInb3vqZBBqr7C1lEd5N5HcDkqmRV0oG2mQnmQ1wK1brcRm2vE
6AZZY0HjlgMu+9USzV5rT78ZfLO1mhMshL/uEAihV4fvOudnXSp2uITDFAdRkEzn
cry4bIaAwqCy+TICNzBmblnuhR0PCFPhXVa6mXOUq8vWqXkILhRv2CpSUdasDhl1
Xn7qPad+nx8WNbWEurfPo/5HKLkAc0u3M/MSl8iM2FSiSRPuP8whfpYY8Sk3mnKw
PU/YuE7y9dL6R50sj/Q4oYVpCvMrGWBINuptnZkBW28fiQ==
=SBQW
-----END PGP PUBLIC KEY BLOCK-----
`;
